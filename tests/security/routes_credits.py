"""Route matrix rows for the credit bank: ledger, recognition, pathways, conversion table, transcript,
certificates and their public check (see tests/security/test_routes.py for the format). Roles, in order:
anonymous, worker, institution (INST-T1), enterprise, county union 330106, city 330100, province 330000, admin."""

from tests.security.test_routes import row

GET = {
    "credits.index": ("/credits/", row(200, A=302)),
    "credits.transcript_page": ("/credits/transcript", row(200, A=302)),
    "credits.transcript_pdf": ("/credits/transcript.pdf", row(200, A=302)),
    # {credit_certificate} belongs to a sample worker: nobody else downloads it
    "credits.certificate_pdf": ("/credits/certificates/{credit_certificate}.pdf", row(404, A=302)),
    "credits.verify": ("/verify/{credit_token}", row(200)),  # public by design, the holder's name masked
    "credits.recognition_list": ("/credits/recognition", row(200, A=302)),
    "credits.recognition_new": ("/credits/recognition/new", row(200, A=302)),
    "credits.review_queue": ("/credits/recognition/review", row(200, A=302)),  # lists only what one may decide
    # {credit_recognition} was issued by INST-T1: its staff decide it; others (but admins) do not see it
    "credits.recognition_detail": ("/credits/recognition/{credit_recognition}", row(404, A=302, I=200, D=200)),
    "credits.evidence": ("/credits/recognition/{credit_recognition}/evidence", row(404, A=302, I=200, D=200)),
    "credits.pathways_list": ("/credits/pathways", row(200)),
    "credits.pathway": ("/credits/pathways/{credit_pathway}", row(200)),
    "credits.pathways_manage": ("/credits/pathways/manage", row(200, A=302)),  # the form only for staff
    "credits.conversions": ("/credits/conversions", row(403, A=302, D=200)),
    "credits_api.my_credits": ("/api/v1/me/credits", row(200, A=401)),
    "credits_api.verify": ("/api/v1/certificates/verify/{credit_token}", row(200)),
}
CSRF_EXEMPT: dict[str, str] = {}
POST_PATHS = {
    "credits.revoke_certificate": "/credits/certificates/1/revoke",
    "credits.revoke_record": "/credits/records/1/revoke",
    "credits.review": "/credits/recognition/1/review",
    "credits.pathway_add_item": "/credits/pathways/1/items",
    "credits.pathway_retire": "/credits/pathways/1/retire",
    "credits.conversion_deactivate": "/credits/conversions/1/deactivate",
}


def extra_samples(app, base):
    from app.extensions import db
    from credits import certificates, recognition
    from credits.models import Certificate
    from tests.credits.credit_factories import complete, pathway, pdf_bytes, request_values, resource, worker

    with app.app_context():
        holder = worker("王小二")
        item = resource(3, "电工基础")
        complete(holder, item)
        found = db.session.query(Certificate).filter_by(user_id=holder.id).one()
        request = recognition.submit(db.session, holder, request_values(), pdf_bytes(), app.config["DATA_DIR"])
        track = pathway(20, ((item, True),))
        db.session.commit()
        return {"credit_certificate": found.id, "credit_recognition": request.id, "credit_pathway": track.id,
                "credit_token": certificates.token_for(app.config["SECRET_KEY"], found)}
