from django.contrib import admin

from indicators.services.rollups import (
    province_rollups_rebuild,
    report_counts_refresh,
    rollups_rebuild,
)
from indicators.services.targets import catchment_target_save, catchment_targets_delete

from .models import (
    CatchmentTarget,
    DemoDataset,
    District,
    Facility,
    LearningNetwork,
    NetworkMembership,
    Profile,
    Province,
    RoleAssignment,
    RoleChange,
    Subdistrict,
)


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "province", "report_due_day"]
    list_filter = ["kind", "province"]
    search_fields = ["code", "name"]
    list_select_related = ["province"]

    def save_model(self, request, obj, form, change):
        stored = District.objects.filter(pk=obj.pk).values_list("province_id", flat=True)
        old_province = stored.first() if change else None
        super().save_model(request, obj, form, change)
        if change and old_province != obj.province_id:
            # both provinces' rollups sum (or summed) the district's
            province_rollups_rebuild(province_ids=[old_province, obj.province_id])
        if change and "report_due_day" in form.changed_data:
            report_counts_refresh(district_ids=[obj.pk])  # on time by the new due day


@admin.register(Subdistrict)
class SubdistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "district"]
    list_filter = ["district__province"]
    search_fields = ["code", "name", "district__name"]
    list_select_related = ["district"]
    autocomplete_fields = ["district"]


class CatchmentTargetInline(admin.TabularInline):
    model = CatchmentTarget
    extra = 0


class TargetsThroughServiceMixin:
    """Targets saved or deleted in the admin go through ``indicators.services.targets``,
    which refreshes the district rollups of the years they touch."""

    def save_formset(self, request, form, formset, change):
        if formset.model is not CatchmentTarget:
            return super().save_formset(request, form, formset, change)
        for target in formset.save(commit=False):
            catchment_target_save(target=target)
        catchment_targets_delete(targets=formset.deleted_objects)
        formset.save_m2m()


class MembershipInline(admin.TabularInline):
    model = NetworkMembership
    extra = 0
    autocomplete_fields = ["facility"]


@admin.register(Facility)
class FacilityAdmin(TargetsThroughServiceMixin, admin.ModelAdmin):
    list_display = ["code", "name", "type", "district", "subdistrict", "poned", "ponek", "active"]
    list_filter = ["type", "poned", "ponek", "active", "district__province", "district"]
    search_fields = ["code", "name", "subdistrict__name", "district__name"]
    list_select_related = ["district", "subdistrict"]
    autocomplete_fields = ["subdistrict"]
    inlines = [CatchmentTargetInline]

    # what makes a facility-month expected (selectors.completeness), or its district
    EXPECTED_FIELDS = {"active", "reporting_start", "reporting_end", "subdistrict"}

    def save_model(self, request, obj, form, change):
        stored = Facility.objects.filter(pk=obj.pk).values_list("district_id", flat=True)
        old_district = stored.first() if change else None
        super().save_model(request, obj, form, change)
        if change and old_district != obj.district_id:
            # every rollup of both districts holds (or held) the facility's reports
            rollups_rebuild(district_ids=[old_district, obj.district_id])
        elif change and self.EXPECTED_FIELDS & set(form.changed_data):
            report_counts_refresh(district_ids=[obj.district_id])

    def has_delete_permission(self, request, obj=None):
        # Facilities are deactivated, never deleted with their data.
        return False


@admin.register(CatchmentTarget)
class CatchmentTargetAdmin(admin.ModelAdmin):
    list_display = ["facility", "year", "population", "pregnant", "deliveries", "infants"]
    list_filter = ["year", "facility__district"]
    search_fields = ["facility__name", "facility__code"]
    autocomplete_fields = ["facility"]

    def save_model(self, request, obj, form, change):
        catchment_target_save(target=obj)

    def delete_model(self, request, obj):
        catchment_targets_delete(targets=[obj])

    def delete_queryset(self, request, queryset):
        catchment_targets_delete(targets=list(queryset))


@admin.register(LearningNetwork)
class LearningNetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "start_date"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(NetworkMembership)
class NetworkMembershipAdmin(admin.ModelAdmin):
    list_display = ["network", "facility", "joined", "left"]
    list_filter = ["network"]
    search_fields = ["facility__name", "network__name"]
    autocomplete_fields = ["facility", "network"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "role",
        "province",
        "district",
        "facility",
        "network",
        "can_manage_users",
    ]
    list_filter = ["role", "can_manage_users"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user", "province", "district", "facility", "network"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "language"]
    list_filter = ["language"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]


@admin.register(RoleChange)
class RoleChangeAdmin(admin.ModelAdmin):
    """The audit is read-only: it is written by facilities.services only."""

    list_display = ["at", "actor", "action", "user", "role", "scope", "can_manage_users"]
    list_filter = ["action", "role"]
    search_fields = ["user__username", "actor__username", "scope"]
    list_select_related = ["actor", "user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DemoDataset)
class DemoDatasetAdmin(admin.ModelAdmin):
    list_display = ["description", "created_at"]
    search_fields = ["description"]
