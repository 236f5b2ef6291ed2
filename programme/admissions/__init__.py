"""Admissions: who may take part and how a worker gets in. The pure eligibility rules, the worker profile as
they read it, the year's plan, quotas of places and province money handed down the union tree, institutions'
declarations and their selection, applications from applying to enrolment, and recruitment (QR codes and the
attribution of registrations to the union that printed them)."""
