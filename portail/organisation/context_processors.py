from portail.lib.process_cache import ProcessCache

from .models import Organisation

# Read on every page, changed a few times a year: each process keeps it a minute (a change
# saved in the back office shows at once on the node that saved it, within a minute on the
# others).
CACHED_SECONDS = 60
_organisation = ProcessCache(Organisation.current, seconds=CACHED_SECONDS, models=[Organisation])


def organisation(request):
    """The town's identity, shown in every page's header and footer."""
    return {"organisation": _organisation.get()}
