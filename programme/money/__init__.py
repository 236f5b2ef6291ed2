"""Money: subsidies on attainment. A claim, the evidence it rests on (an exchanged record or checked scans), the
union's decision fixing the amount, and payment in dated batches. Province money is spent from the quotas
(programme/admissions/quotas.py)."""
