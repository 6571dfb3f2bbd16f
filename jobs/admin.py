from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Job, OutgoingEmail, ScheduledNotice
from .outbox import email_send


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "kind",
        "user",
        "status",
        "progress",
        "attempts",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["user__username", "kind"]
    readonly_fields = ["created_at", "started_at", "finished_at", "attempts"]
    raw_id_fields = ["user"]


class StuckFilter(admin.SimpleListFilter):
    title = _("delivery")
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [("pending", _("Pending")), ("stuck", _("Stuck (pending over an hour, or failed)"))]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(status=OutgoingEmail.Status.PENDING)
        if self.value() == "stuck":
            hour_ago = timezone.now() - timezone.timedelta(hours=1)
            return queryset.filter(
                status=OutgoingEmail.Status.PENDING, created_at__lt=hour_ago
            ) | queryset.filter(status=OutgoingEmail.Status.FAILED)
        return queryset


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "kind",
        "recipient",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "created_at",
    ]
    list_filter = [StuckFilter, "status", "kind"]
    search_fields = ["recipient", "subject"]
    readonly_fields = ["created_at", "sent_at", "attempts", "last_error", "notification", "user"]
    actions = ["send_now"]

    @admin.action(description=_("Send now"))
    def send_now(self, request, queryset):
        ids = list(queryset.exclude(status=OutgoingEmail.Status.SENT).values_list("pk", flat=True))
        # a failed row gets one more chance when an administrator asks for it
        OutgoingEmail.objects.filter(pk__in=ids, status=OutgoingEmail.Status.FAILED).update(
            status=OutgoingEmail.Status.PENDING
        )
        sent = sum(email_send(pk, force=True) for pk in ids)
        self.message_user(
            request,
            _("%(sent)d of %(total)d e-mails sent.") % {"sent": sent, "total": len(ids)},
            messages.SUCCESS if sent == len(ids) else messages.WARNING,
        )


@admin.register(ScheduledNotice)
class ScheduledNoticeAdmin(admin.ModelAdmin):
    list_display = ["key", "created_at"]
    search_fields = ["key"]
