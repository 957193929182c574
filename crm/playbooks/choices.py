from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    """How a conversation ended; a script's final answers lead to one of these (S13)."""

    AGREED = "agreed", _("agreed to go on")
    MEETING = "meeting", _("meeting arranged")
    SEND_PROPOSAL = "send_proposal", _("send a proposal")
    CALL_BACK = "call_back", _("call back")
    REFUSED = "refused", _("refused")


class RunStatus(models.TextChoices):
    OPEN = "open", _("in progress")
    FINISHED = "finished", _("finished")
    ABANDONED = "abandoned", _("abandoned")
