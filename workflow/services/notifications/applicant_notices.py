"""Notices to the applicant that leave through the outbox (Vietnamese).

On receipt the applicant gets the dossier code and the appointment date (the receipt,
form 01, stays the legal document); when the result is ready they are told to collect
it; a late result's apology and a refusal (form 03, with the reasons) go by mail and by
text message. Form numbers and citations come from the rules the dossier follows
(workflow.domain.rules: Circular 01/2018/TT-VPCP before 1 July 2025, Circular
03/2025/TT-VPCP after). Only applicants who gave an e-mail address get mail.

An online dossier (issue 19) is answered where it came from: the confirmation with its
private link, the desk's request to supplement (form 02), the receipt, the refusal and the
result go by mail or text to the contact confirmed at submission (Decree 45/2020/NĐ-CP
Art. 11: the applicant is told electronically).

Issue 21: the notices go to the contacts the applicant chose at intake (`Dossier.contacts`:
the applicant by default, the person who filed on their behalf, or both), each addressed by
name. A result going back by post is announced as such, and its hand-over to the post
office ("dossier.posted") tells the tracking number.
"""
from __future__ import annotations

from workflow.domain.appointment import time_text
from workflow.domain.dossier import Dossier
from workflow.domain.rules import regime_of

from workflow.services.context import Context
from workflow.services.unit_of_work import UnitOfWork


def _fmt(dt, tz) -> str:
    return dt.astimezone(tz).strftime("%H:%M ngày %d/%m/%Y")


def _form(d: Dossier, key: str, tz) -> str:
    regime = regime_of(d, tz)
    form = regime.form(key)
    return f"{form.title}, {form.label(regime)}"


def private_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/ho-so-truc-tuyen/{token}"


def _listed(d: Dossier) -> str:
    names = {doc.code: doc.name for doc in d.procedure.documents}
    return "\n".join(f"- {names.get(c, c)}" for c in d.missing_documents)


def compose(topic: str, d: Dossier, tz, public_url: str, reason: str | None = None,
            token: str | None = None, to: str | None = None) -> tuple[str, str] | None:
    """The mail for `topic`, addressed to `to` (a contact's name; the applicant's by default)."""
    mail = _compose(topic, d, tz, public_url, reason, token)
    if mail is None or to is None or to == d.applicant.name:
        return mail
    return mail[0], mail[1].replace(f"Kính gửi {d.applicant.name},", f"Kính gửi {to},", 1)


def _compose(topic: str, d: Dossier, tz, public_url: str, reason: str | None = None,
             token: str | None = None) -> tuple[str, str] | None:
    status_link = f"{public_url.rstrip('/')}/tra-cuu?ma={d.code}"
    if topic == "submission.confirmed":
        return (f"Đã nhận hồ sơ nộp trực tuyến {d.code}",
                f"Kính gửi {d.applicant.name},\n\n"
                f"Hồ sơ \"{d.procedure.name}\" của Ông/Bà đã được gửi trực tuyến với mã số {d.code}. "
                f"Bộ phận Một cửa sẽ kiểm tra và thông báo việc tiếp nhận.\n"
                f"Theo dõi và bổ sung hồ sơ tại đường dẫn riêng (không chia sẻ cho người khác):\n"
                f"{private_link(public_url, token)}\n")
    if topic == "dossier.supplement_notice" and d.is_online:
        return (f"Yêu cầu bổ sung, hoàn thiện hồ sơ {d.code}",
                f"Kính gửi {d.applicant.name},\n\n"
                f"Hồ sơ {d.code} (\"{d.procedure.name}\") cần bổ sung, hoàn thiện một lần các giấy tờ sau:\n"
                f"{_listed(d)}\nLý do: {reason or ''}\n\n"
                f"({_form(d, 'supplement', tz)})\n"
                f"Ông/Bà bổ sung trực tuyến tại đường dẫn riêng đã được gửi khi nộp hồ sơ.\n"
                f"Tra cứu tình trạng hồ sơ: {status_link}\n")
    if topic == "dossier.rejected":
        return (f"Thông báo từ chối giải quyết hồ sơ {d.code}",
                f"Kính gửi {d.applicant.name},\n\n"
                f"Hồ sơ {d.code} (\"{d.procedure.name}\") của Ông/Bà không được tiếp nhận, giải quyết.\n"
                f"Lý do: {reason or ''}\n\n"
                f"({_form(d, 'refusal', tz)}; phiếu từ chối có chữ ký được nhận tại Bộ phận Một cửa.)\n"
                f"Tra cứu tình trạng hồ sơ: {status_link}\n")
    if topic == "dossier.received":
        return (f"Đã tiếp nhận hồ sơ {d.code}",
                f"Kính gửi {d.applicant.name},\n\n"
                f"Hồ sơ \"{d.procedure.name}\" của Ông/Bà đã được tiếp nhận với mã số {d.code}.\n"
                f"Thời hạn giải quyết: {time_text(d.procedure)}.\n"
                f"Ngày hẹn trả kết quả: {_fmt(d.appointment_at, tz)}.\n\n"
                f"Tra cứu tình trạng hồ sơ: {status_link}\n")
    if topic == "dossier.postponed":
        return (f"Thư xin lỗi và hẹn lại ngày trả kết quả hồ sơ {d.code}",
                f"Kính gửi {d.applicant.name},\n\n"
                f"Hồ sơ {d.code} (\"{d.procedure.name}\") được hẹn trả kết quả vào "
                f"{_fmt(d.appointment_at, tz)}. Do {d.postponed_reason}, cơ quan giải quyết chưa thể "
                f"trả kết quả đúng hẹn. Chúng tôi thành thật xin lỗi Ông/Bà vì sự chậm trễ này.\n"
                f"Thời gian hẹn trả kết quả mới: {_fmt(d.postponed_to, tz)}.\n\n"
                f"({_form(d, 'apology', tz)})\n"
                f"Tra cứu tình trạng hồ sơ: {status_link}\n")
    if topic == "dossier.result_ready" and d.by_post:
        return (f"Hồ sơ {d.code} đã có kết quả",
                f"Kính gửi {d.applicant.name},\n\n"
                f"Hồ sơ {d.code} (\"{d.procedure.name}\") đã có kết quả: {d.procedure.result}. "
                f"Theo đăng ký của Ông/Bà, kết quả sẽ được gửi qua dịch vụ bưu chính công ích "
                f"đến địa chỉ: {d.return_address}.\n"
                f"Tra cứu tình trạng hồ sơ: {status_link}\n")
    if topic == "dossier.posted":
        return (f"Kết quả hồ sơ {d.code} đã gửi qua bưu điện",
                f"Kính gửi {d.applicant.name},\n\n"
                f"Kết quả giải quyết hồ sơ {d.code} (\"{d.procedure.name}\") đã được chuyển cho "
                f"bưu điện để gửi đến địa chỉ: {d.return_address}.\n"
                f"Mã vận đơn: {d.tracking_number}.\n\n"
                f"Tra cứu tình trạng hồ sơ: {status_link}\n")
    if topic == "dossier.result_ready":
        return (f"Hồ sơ {d.code} đã có kết quả",
                f"Kính gửi {d.applicant.name},\n\n"
                f"Hồ sơ {d.code} (\"{d.procedure.name}\") đã có kết quả. Mời Ông/Bà đến Bộ phận "
                f"một cửa để nhận kết quả: {d.procedure.result}.\n"
                + ("Kết quả điện tử (nếu có) được tải về tại đường dẫn riêng của hồ sơ.\n"
                   if d.is_online else ""))
    return None


def compose_sms(topic: str, d: Dossier, tz, public_url: str, reason: str | None = None,
                token: str | None = None) -> str | None:
    """The short text sent to the applicant's phone: the apology, as the rules on late
    results want the citizen told before the date is missed, and a refusal; for an online
    dossier also the confirmation, the request to supplement, the receipt and the result."""
    lookup = f"Tra cuu: {public_url.rstrip('/')}/tra-cuu?ma={d.code}"
    if topic == "dossier.posted":
        return f"Ket qua ho so {d.code} da gui qua buu dien, ma van don {d.tracking_number}. {lookup}"
    if topic == "submission.confirmed":
        return f"Ho so {d.code} da gui truc tuyen. Theo doi, bo sung: {private_link(public_url, token)}"
    if d.is_online and topic == "dossier.supplement_notice":
        return (f"Ho so {d.code}: can bo sung {', '.join(d.missing_documents)}. Bo sung qua duong dan "
                f"rieng da gui khi nop. {lookup}")
    if d.is_online and topic == "dossier.received":
        return f"Ho so {d.code} da duoc tiep nhan. Hen tra ket qua: {_fmt(d.appointment_at, tz)}. {lookup}"
    if d.is_online and topic == "dossier.result_ready":
        return f"Ho so {d.code} da co ket qua. {lookup}"
    if topic == "dossier.rejected":
        return (f"Ho so {d.code}: khong duoc tiep nhan, giai quyet. Ly do: {reason or ''}. "
                f"Tra cuu: {public_url.rstrip('/')}/tra-cuu?ma={d.code}")
    if topic != "dossier.postponed":
        return None
    return (f"Ho so {d.code}: co quan giai quyet xin loi vi chua tra ket qua dung hen. "
            f"Hen tra moi: {_fmt(d.postponed_to, tz)}. Ly do: {d.postponed_reason}. "
            f"Tra cuu: {public_url.rstrip('/')}/tra-cuu?ma={d.code}")


MAIL_TOPICS = ("dossier.received", "dossier.result_ready", "dossier.postponed", "dossier.rejected",
               "dossier.supplement_notice", "submission.confirmed", "dossier.posted")


def mail_handlers(ctx: Context, sender, public_url: str, sms=None) -> dict:
    """Outbox handlers (one per topic) that mail the applicant (and text them the apology)."""
    return {topic: _mail_handler(ctx, sender, public_url, topic, sms) for topic in MAIL_TOPICS}


def _mail_handler(ctx: Context, sender, public_url: str, topic: str, sms):
    def handle(message_id: int, payload: dict) -> None:
        with UnitOfWork(ctx.engine) as uow:
            d = uow.dossiers.get(payload["dossier"])
        if d is None:
            return
        reason, token = payload.get("reason"), payload.get("token")
        for contact in d.contacts():  # the applicant's ids as before; the filer's marked
            tag = "" if contact.role == "applicant" else f"-{contact.role}"
            mail = compose(topic, d, ctx.calendar.tz, public_url, reason, token, contact.name) \
                if contact.email else None
            if mail:
                sender.send(contact.email, mail[0], mail[1], f"<outbox-{message_id}{tag}@motcua>")
            text = compose_sms(topic, d, ctx.calendar.tz, public_url, reason, token) \
                if sms and contact.phone else None
            if text:
                sms.send(contact.phone, text, f"outbox-{message_id}{tag}-sms")
    return handle
