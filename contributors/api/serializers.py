"""contributors API: serializers."""
