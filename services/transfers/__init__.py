"""The transfers service: emergency cash-transfer eligibility, approval and payment instructions."""
