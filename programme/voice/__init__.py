"""Voice: what the programme says to people and hears back. Enquiries and the policy page, satisfaction and
teaching-quality surveys, public notices (公示) and the objections filed against them."""
