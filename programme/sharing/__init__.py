"""Data sharing (数据对接) with the education and HR departments: a versioned JSON API under /api/exchange/v1/,
its tokens (one or more per department, scoped, stored hashed, audited and rate-limited) and its OpenAPI document.
It sits on top of admissions, exchange and reporting (pushed results become exchange records that subsidy claims
rest on); the file exchange (programme/exchange/) stays beside it."""
