from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from finder.models import MoveProposal


@admin.register(MoveProposal)
class MoveProposalAdmin(admin.ModelAdmin):
    """Staff's proposals to move an application; made on the staff page (linked here), accepted
    only by the applicant."""

    list_display = ("application", "system", "status", "proposed_by", "created_at", "page")
    list_filter = ("status",)
    readonly_fields = [f.name for f in MoveProposal._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="Staff page")
    def page(self, proposal: MoveProposal) -> str:
        url = reverse("finder:application-propose", args=[proposal.application_id])
        return format_html('<a href="{}">Propose / follow</a>', url)
