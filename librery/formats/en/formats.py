"""English dates for a European fund: Django's short English formats are the
United States' month/day/year ("12/02/2026" is the 2nd of December there and
the 12th of February to most readers here). Short dates in tables spell the
month instead, as the long format does; everything else is Django's."""

SHORT_DATE_FORMAT = "N j, Y"
SHORT_DATETIME_FORMAT = "N j, Y, P"
