"""Data exchange: records sent by partners as CSV or XLSX files. Admission results from institutions (which
admit applications), graduation results and the HR department's skill certificates (which subsidy claims rest
on). Below money, which reads its records; above admissions, which its admission rows move."""
