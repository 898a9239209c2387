"""allocation API: serializers."""
