"""The administrators' disbursement pages (interface): the report, its
approvals, the payout batch and its SEPA file."""
