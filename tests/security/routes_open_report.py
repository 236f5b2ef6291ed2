"""Route matrix rows for the public yearly report (issue 23, item 4), in the format of
tests/security/test_routes.py: everyone, signed in or not, reads it; a year outside 2019..this year and a code
that is not a city are not found; so are the institutions' quality reports."""

from tests.security.test_routes import row

GET = {
    "programme_support.open_report_index": ("/open/report", row(200)),
    "programme_support.open_report": ("/open/report/2025", row(200)),
    "programme_support.open_report_pdf": ("/open/report/2025.pdf", row(200)),
    "programme_support.open_report_city": ("/open/report/2025/330100", row(200)),
    "programme_support.open_report_city_pdf": ("/open/report/2025/330100.pdf", row(200)),
}
GET.update({
    # an institution's quality report (质量报告): public like the yearly report
    "programme_support.quality_report_page": ("/open/quality/2025/INST-T1", row(200)),
    "programme_support.quality_report_pdf": ("/open/quality/2025/INST-T1.pdf", row(200)),
})
