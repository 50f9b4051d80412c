"""The job pages use the world of the import tests (a régie, households, staff)."""

from tests.billing.import_world import (  # noqa: F401 (fixtures)
    admin_client,
    administrator,
    families,
    loptiou,
    nursery_staff,
    pic_et_plume,
    regie,
    staff_client,
)
