"""The project's own date formats (FORMAT_MODULE_PATH), where Django's differ
from what the fund's readers expect."""
