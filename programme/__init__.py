"""Programme: the dual-upgrade administration — eligibility, declarations, quotas, applications,
subsidies, enquiries, surveys, public notices and reports. Built by the programme issue."""
