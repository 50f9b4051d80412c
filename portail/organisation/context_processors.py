from .models import Organisation


def organisation(request):
    """The town's identity, shown in every page's header and footer."""
    return {"organisation": Organisation.current()}
