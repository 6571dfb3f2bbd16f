from django.contrib import admin

from .models import DataElement, DataValue, Indicator, MonthlyReport


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
    model = DataValue
    extra = 0
    fields = ["element", "value", "comment"]
    readonly_fields = ["element"]
    can_delete = False


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
class DataValueAdmin(admin.ModelAdmin):
    list_display = ["report", "element", "value"]
    list_filter = ["element__section"]
    search_fields = ["report__facility__name", "element__code"]
    raw_id_fields = ["report", "facility"]
    list_select_related = ["report__facility", "element"]
