"""Learning: enrolment, progress tracking, completion, the credit bank, qualifications and
certificates. Built by the learning issue."""
