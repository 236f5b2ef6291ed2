"""Enterprises (企业) in the programme: workers link themselves to their enterprise and, separately, let it see
their learning; the enterprise confirms the link, nominates its workers for the programme (生源发动、推荐组织),
enrols a group in one batch, follows the progress of those who consented, and tops up the union's subsidy with
its own (amount, conditions, budget), which the claims flow (programme/money) honours. Imports admissions,
learning and credits; money imports it (never the reverse)."""
