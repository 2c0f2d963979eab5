from django.db import models


class UnitKind(models.TextChoices):
    DISTRICT = "district", "区（县）"
    TOWN = "town", "镇"
    TOWNSHIP = "township", "乡"
    STREET = "street", "街道"
    VILLAGE = "village", "村（社区）"


# The kinds that are assessed as townships (乡镇/街道) and that township users are scoped to.
ASSESSED_KINDS = (UnitKind.TOWN, UnitKind.TOWNSHIP, UnitKind.STREET)
