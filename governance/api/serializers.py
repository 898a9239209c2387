"""governance API: serializers."""
