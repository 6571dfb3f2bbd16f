from django.contrib import admin

from .models import Action, Aim, Attachment, Driver, GoodPractice, PDSACycle


class DriverInline(admin.TabularInline):
    model = Driver
    extra = 1
    fields = ["kind", "parent", "text", "position"]


@admin.register(Aim)
class AimAdmin(admin.ModelAdmin):
    list_display = ["statement", "network", "facility", "indicator", "target_value", "target_date"]
    list_filter = ["network", "indicator"]
    search_fields = ["statement", "network__name", "facility__name"]
    raw_id_fields = ["facility", "owner"]
    inlines = [DriverInline]


@admin.register(Driver)
class DriverAdmin(admin.ModelAdmin):
    list_display = ["text", "kind", "aim", "parent"]
    list_filter = ["kind"]
    search_fields = ["text", "aim__statement"]
    raw_id_fields = ["aim", "parent"]


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    readonly_fields = ["name", "content_type", "size", "uploaded_by", "uploaded_at"]
    fields = readonly_fields


@admin.register(PDSACycle)
class PDSACycleAdmin(admin.ModelAdmin):
    list_display = ["title", "facility", "change_idea", "status", "act", "start_date"]
    list_filter = ["status", "act"]
    search_fields = ["title", "facility__name"]
    raw_id_fields = ["facility", "change_idea", "builds_on"]
    inlines = [AttachmentInline]


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ["title", "facility", "owner", "due_date", "status", "source"]
    list_filter = ["status", "source"]
    search_fields = ["title", "facility__name"]
    raw_id_fields = ["facility", "owner"]


@admin.register(GoodPractice)
class GoodPracticeAdmin(admin.ModelAdmin):
    list_display = ["title", "facility", "indicator", "status", "approved_by"]
    list_filter = ["status", "indicator"]
    search_fields = ["title", "story", "tags"]
    raw_id_fields = ["facility", "approved_by"]
