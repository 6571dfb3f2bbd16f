from django.contrib import admin

from .models import (
    DataElement,
    DataValue,
    DistrictMonthReports,
    DistrictMonthTarget,
    DistrictMonthTotal,
    Indicator,
    MonthlyReport,
    Notification,
    ProvinceMonthReports,
    ProvinceMonthTarget,
    ProvinceMonthTotal,
    ReportEvent,
    ValidationRule,
    ValueChange,
)


class ReadOnlyAdminMixin:
    """Audit rows and values are never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DataElement)
class DataElementAdmin(admin.ModelAdmin):
    list_display = ["code", "name_id", "name_en", "section", "sort_order"]
    list_filter = ["section"]
    search_fields = ["code", "name_id", "name_en"]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name_id", "factor", "direction", "target", "unit", "is_key"]
    list_filter = ["section", "direction", "factor", "is_key", "is_coverage"]
    search_fields = ["code", "name_id", "name_en"]
    filter_horizontal = ["numerator", "denominator_elements"]


class DataValueInline(admin.TabularInline):
    """Read-only: values change through the entry form, the import or the API, which
    keep the audit trail, the workflow and the rollups right."""

    model = DataValue
    extra = 0
    fields = ["element", "value", "comment"]
    readonly_fields = ["element", "value", "comment"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(MonthlyReport)
class MonthlyReportAdmin(admin.ModelAdmin):
    list_display = ["facility", "period", "status", "version", "submitted_at", "approved_at"]
    list_filter = ["status", "period", "facility__district"]
    search_fields = ["facility__name", "facility__code"]
    date_hierarchy = "period"
    list_select_related = ["facility"]
    raw_id_fields = ["facility"]
    readonly_fields = ["version", "created_at", "updated_at"]
    inlines = [DataValueInline]


@admin.register(DataValue)
class DataValueAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["report", "element", "value"]
    list_filter = ["element__section"]
    search_fields = ["report__facility__name", "element__code"]
    raw_id_fields = ["report", "facility"]
    list_select_related = ["report__facility", "element"]


@admin.register(ValidationRule)
class ValidationRuleAdmin(admin.ModelAdmin):
    """Rules are data: the form parses both expressions and refuses unknown codes."""

    list_display = ["code", "left", "operator", "right", "severity", "active"]
    list_filter = ["severity", "active"]
    search_fields = ["code", "left", "right", "message_id", "message_en"]


@admin.register(ReportEvent)
class ReportEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["report", "action", "from_status", "to_status", "user", "on_behalf", "at"]
    list_filter = ["action", "on_behalf"]
    search_fields = ["report__facility__name", "user__username", "reason"]
    list_select_related = ["report__facility", "user"]


@admin.register(ValueChange)
class ValueChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["report", "element", "old_value", "new_value", "user", "at"]
    search_fields = ["report__facility__name", "element__code", "user__username"]
    list_select_related = ["report__facility", "element", "user"]


@admin.register(DistrictMonthTotal)
class DistrictMonthTotalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["district", "period", "element", "approved", "submitted"]
    list_filter = ["period"]
    search_fields = ["district__name", "element__code"]
    list_select_related = ["district", "element"]


@admin.register(DistrictMonthTarget)
class DistrictMonthTargetAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["district", "period", "status", "pregnant", "deliveries", "infants"]
    list_filter = ["period", "status"]
    search_fields = ["district__name", "district__code"]
    list_select_related = ["district"]


@admin.register(DistrictMonthReports)
class DistrictMonthReportsAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["district", "period", "received", "on_time", "approved", "submitted"]
    list_filter = ["period"]
    search_fields = ["district__name", "district__code"]
    list_select_related = ["district"]


@admin.register(ProvinceMonthTotal)
class ProvinceMonthTotalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["province", "period", "element", "approved", "submitted"]
    list_filter = ["period", "province"]
    search_fields = ["province__name", "element__code"]
    list_select_related = ["province", "element"]


@admin.register(ProvinceMonthTarget)
class ProvinceMonthTargetAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["province", "period", "status", "pregnant", "deliveries", "infants"]
    list_filter = ["period", "status", "province"]
    search_fields = ["province__name", "province__code"]
    list_select_related = ["province"]


@admin.register(ProvinceMonthReports)
class ProvinceMonthReportsAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["province", "period", "report_due_day", "received", "on_time", "approved"]
    list_filter = ["period", "province"]
    search_fields = ["province__name", "province__code"]
    list_select_related = ["province"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "report", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind"]
    search_fields = ["user__username", "report__facility__name"]
    raw_id_fields = ["report", "user", "actor"]
