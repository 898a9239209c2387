"""The pages of "Earmark from an SBOM" (issue 15): forms and views."""
