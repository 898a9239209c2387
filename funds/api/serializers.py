"""funds API: serializers."""
