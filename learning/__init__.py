"""Learning: enrolment, progress tracking, completion, the credit bank, qualifications and
certificates. Built so far: the pure progress rules (learning/progress.py)."""
