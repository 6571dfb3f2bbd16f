from rest_framework import serializers

from ..models import Facility


class FacilitySerializer(serializers.ModelSerializer):
    district = serializers.CharField(source="district.code")
    district_name = serializers.CharField(source="district.name")
    subdistrict = serializers.CharField(source="subdistrict.code")
    subdistrict_name = serializers.CharField(source="subdistrict.name")

    class Meta:
        model = Facility
        fields = [
            "code",
            "name",
            "type",
            "district",
            "district_name",
            "subdistrict",
            "subdistrict_name",
            "poned",
            "ponek",
            "active",
        ]
