"""PDF of the counter's slips with fpdf2 and the Roboto font from the `font-roboto`
package (full Vietnamese coverage, installed by pip), with Noto fallback fonts for the
letters of other scripts a name or a reason may hold (web/staff/pdf_fonts.py).

The layout follows the print page: agency and national motto, title, body, documents
table, signatures; the receipt carries the QR code of the public status page, drawn as
squares so no image library is involved.
"""
from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from font_roboto import font_directory
from fpdf import FPDF
from fpdf.fonts import FontFace

from web.staff.pdf_fonts import Cover
from web.staff.printed import qr_matrix

FONTS = Path(font_directory)
NL = dict(new_x="LMARGIN", new_y="NEXT")  # each block starts on a new line at the margin
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


def _when(value, tz: str, fmt: str = "%H giờ %M phút, ngày %d/%m/%Y") -> str:
    return value.astimezone(ZoneInfo(tz)).strftime(fmt) if value else "—"


class SlipPDF(FPDF):
    """An FPDF that, before it lays out a text, adds the fallback fonts that text needs
    (every text of the slips goes through multi_cell, table cells too)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self._cover = Cover(FONTS / "Roboto-Regular.ttf")

    def multi_cell(self, w, h=None, text="", *args, **kw):
        added = self._cover.needs(text)
        if added:
            for fallback, path in added:
                self.add_font(fallback.family, "", str(path), collection_font_number=fallback.face)
            self.set_fallback_fonts([f.family for f in self._cover.added], exact_match=False)
            self.set_text_shaping(True)  # Arabic joins and runs right to left, marks sit right
        return super().multi_cell(w, h, text, *args, **kw)


def _pdf(title: str) -> FPDF:
    pdf = SlipPDF(format="A4")
    pdf.set_title(title)
    pdf.set_author("motcua")
    pdf.set_margins(18, 15, 18)
    pdf.set_auto_page_break(True, 18)
    pdf.add_font("Roboto", "", str(FONTS / "Roboto-Regular.ttf"))
    pdf.add_font("Roboto", "B", str(FONTS / "Roboto-Bold.ttf"))
    pdf.add_font("Roboto", "I", str(FONTS / "Roboto-Italic.ttf"))
    pdf.add_page()
    return pdf


def _header(pdf: FPDF, model: dict, title: str, day_line: str) -> None:
    if model.get("form"):  # the form's number and source, as the circular prints them
        pdf.set_font("Roboto", "I", 9)
        pdf.multi_cell(0, 5, model["form"]["label"], align="R", **NL)
    left, top = pdf.l_margin, pdf.get_y()
    pdf.set_font("Roboto", "B", 10)
    pdf.multi_cell(75, 5, model["agency"].upper(), align="C", **NL)
    pdf.set_font("Roboto", "", 10)
    pdf.multi_cell(75, 5, f"Mã hồ sơ: {model['code']}", align="C", **NL)
    bottom = pdf.get_y()
    pdf.set_xy(left + 80, top)
    pdf.set_font("Roboto", "B", 10)
    pdf.multi_cell(94, 5, MOTTO[0], align="C", **NL)
    pdf.set_x(left + 80)
    pdf.multi_cell(94, 5, MOTTO[1], align="C", **NL)
    pdf.set_x(left + 80)
    pdf.set_font("Roboto", "I", 10)
    pdf.multi_cell(94, 6, day_line, align="C", **NL)
    pdf.set_y(max(bottom, pdf.get_y()) + 6)
    pdf.set_font("Roboto", "B", 13)
    pdf.multi_cell(0, 7, title, align="C", **NL)
    pdf.ln(3)


def _line(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font("Roboto", "", 11)
    pdf.multi_cell(0, 6, f"{label}{value}", markdown=False, **NL)


def _lines(pdf: FPDF, width: float, text: str) -> list[str]:
    """`text` wrapped as multi_cell would wrap it at `width` with the current font."""
    return pdf.multi_cell(width, 6, text, dry_run=True, output="LINES")


def _signatures(pdf: FPDF, left: tuple[str, str], right: tuple[str, str]) -> None:
    pdf.ln(6)
    # both columns on one page: a long name must not push one of them onto the next
    pdf.set_font("Roboto", "", 11)
    tall = max(6 * len(_lines(pdf, 87, name)) for _, name in (left, right)) + 6 + 5 + 16
    if pdf.get_y() + tall > pdf.page_break_trigger:
        pdf.add_page()
    y, bottom = pdf.get_y(), pdf.get_y()
    for i, (role, name) in enumerate((left, right)):
        pdf.set_xy(pdf.l_margin + i * 87, y)
        pdf.set_font("Roboto", "B", 11)
        pdf.multi_cell(87, 6, role, align="C", **NL)
        pdf.set_x(pdf.l_margin + i * 87)
        pdf.set_font("Roboto", "I", 9)
        pdf.multi_cell(87, 5, "(Ký và ghi rõ họ tên)", align="C", **NL)
        pdf.set_x(pdf.l_margin + i * 87)
        pdf.ln(16)
        pdf.set_x(pdf.l_margin + i * 87)
        pdf.set_font("Roboto", "", 11)
        pdf.multi_cell(87, 6, name, align="C", **NL)
        bottom = max(bottom, pdf.get_y())
    pdf.set_y(bottom)  # below the taller column, whichever it is


ROW_LINES = 20  # lines of one table row at most (120 mm, two to a page): fpdf2 cannot split a row over pages


def _fitting_rows(pdf: FPDF, rows, widths):
    """The rows, each cut into rows of at most ROW_LINES lines: a reason of 2,000 characters
    in a narrow column goes on in the next row (and page) instead of failing the PDF."""
    for cells in rows:
        # measured a little narrower than the cell, so the cut lines never wrap again
        wrapped = [_lines(pdf, w - 1, str(c)) if str(c) else [""] for c, w in zip(cells, widths)]
        if max(map(len, wrapped)) <= ROW_LINES:
            yield cells
            continue
        for start in range(0, max(map(len, wrapped)), ROW_LINES):
            yield ["\n".join(lines[start:start + ROW_LINES]) for lines in wrapped]


def _table(pdf: FPDF, headings, rows, widths) -> None:
    pdf.set_font("Roboto", "", 10)
    with pdf.table(col_widths=widths, line_height=6, first_row_as_headings=True, text_align="LEFT",
                   headings_style=FontFace(emphasis="BOLD")) as table:
        for cells in [headings, *_fitting_rows(pdf, rows, widths)]:
            row = table.row()
            for cell in cells:
                row.cell(str(cell))


def _qr(pdf: FPDF, url: str, size: float = 30) -> None:
    matrix = qr_matrix(url)
    cell = size / len(matrix)
    if pdf.get_y() + size + 12 > pdf.h - pdf.b_margin:
        pdf.add_page()
    x0, y0 = pdf.l_margin, pdf.get_y() + 4
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                pdf.rect(x0 + x * cell, y0 + y * cell, cell, cell, style="F")
    pdf.set_xy(x0 + size + 5, y0)
    pdf.set_font("Roboto", "", 9)
    pdf.multi_cell(0, 5, "Quét mã để tra cứu tình trạng hồ sơ (cần 4 số cuối điện thoại "
                         f"đã khai khi nộp):\n{url}", **NL)
    pdf.set_y(y0 + size + 2)


def receipt_pdf(model: dict, tz: str) -> bytes:
    """Form 01: giấy tiếp nhận hồ sơ và hẹn trả kết quả."""
    title = model["form"]["title"].upper()
    pdf = _pdf(f"{title} {model['code']}")
    _header(pdf, model, title, _when(model["received_at"], tz, "Ngày %d tháng %m năm %Y"))
    a, p = model["applicant"], model["procedure"]
    _line(pdf, "Bộ phận tiếp nhận và trả kết quả: ", model["agency"])
    _line(pdf, "Tiếp nhận hồ sơ của: ", a.name)
    if a.phone or a.email:
        _line(pdf, "Số điện thoại / thư điện tử: ", " / ".join(x for x in (a.phone, a.email) if x))
    if (f := model.get("filer")) is not None:
        contact = " / ".join(x for x in (f.phone, f.email) if x)
        _line(pdf, "Người nộp thay: ", f.name + (f" ({contact})" if contact else ""))
    _line(pdf, "Nội dung yêu cầu giải quyết: ", f"{p.name} (mã thủ tục {p.code})")
    pdf.ln(2)
    _line(pdf, "1. Thành phần hồ sơ nộp gồm:", "")
    _table(pdf, ("TT", "Tên giấy tờ", "Hình thức", "Số lượng"),
           [(i, d["name"], d["form"], d["copies"]) for i, d in enumerate(model["documents"], 1)],
           (10, 110, 34, 20))
    pdf.ln(2)
    _line(pdf, "2. Số lượng hồ sơ: ", "01 bộ")
    if model.get("case"):
        _line(pdf, "Trường hợp: ", model["case"].name)
    _line(pdf, "3. Thời gian giải quyết hồ sơ theo quy định: ", model["time_text"])
    _line(pdf, "4. Thời gian nhận hồ sơ: ", _when(model["received_at"], tz))
    _line(pdf, "5. Thời gian trả kết quả giải quyết hồ sơ: ", _when(model["appointment_at"], tz))
    _line(pdf, "6. Đăng ký nhận kết quả tại: ", model.get("return_line") or model["agency"])
    if model.get("competent_text"):  # no item of form 01: a line of free text (issue 22)
        _line(pdf, "", model["competent_text"])
    if model.get("fee_text"):  # no item of form 01: a line of free text (issue 21)
        _line(pdf, "", model["fee_text"])
    _signatures(pdf, ("NGƯỜI NỘP HỒ SƠ", model.get("signer") or a.name), ("NGƯỜI TIẾP NHẬN HỒ SƠ", model["clerk"]))
    _qr(pdf, model["qr_url"])
    return bytes(pdf.output())


def notice_pdf(model: dict, tz: str) -> bytes:
    """Form 02: phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (one notice listing everything)."""
    title = model["form"]["title"].upper()
    pdf = _pdf(f"{title} {model['code']}")
    _header(pdf, model, title, _when(model["issued_at"], tz, "Ngày %d tháng %m năm %Y"))
    a, p = model["applicant"], model["procedure"]
    _line(pdf, "Hồ sơ của: ", a.name)
    _line(pdf, "Nội dung yêu cầu giải quyết: ", f"{p.name} (mã thủ tục {p.code})")
    _line(pdf, "Ngày hướng dẫn: ", _when(model["issued_at"], tz))
    pdf.ln(2)
    _line(pdf, "Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:", "")
    _table(pdf, ("TT", "Giấy tờ cần bổ sung, hoàn thiện", "Lý do", "Căn cứ pháp lý"),
           [(i, f"{it['name']}" + (f" ({it['form']})" if it["form"] else ""), it["reason"],
             it["legal_basis"]) for i, it in enumerate(model["items"], 1)],
           (10, 64, 50, 50))
    pdf.ln(3)
    _line(pdf, "", "Phiếu này liệt kê đầy đủ, một lần tất cả nội dung cần bổ sung, hoàn thiện. "
                   "Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, ông/bà liên hệ "
                   f"{model['agency']} để được hướng dẫn.")
    if p.legal_basis:
        pdf.set_font("Roboto", "I", 9)
        pdf.multi_cell(0, 5, "Căn cứ pháp lý của thủ tục: " + "; ".join(p.legal_basis), **NL)
    _signatures(pdf, ("NGƯỜI NỘP HỒ SƠ", a.name), ("NGƯỜI HƯỚNG DẪN", model["clerk"]))
    return bytes(pdf.output())


def _letter(model: dict, tz: str, signer: str) -> FPDF:
    """A letter to the applicant about their dossier (forms 03, 04, 05): the header under the
    agency `signer` names, "Kính gửi", and the line that says what was received when."""
    title = model["form"]["title"].upper()
    pdf = _pdf(f"{title} {model['code']}")
    _header(pdf, {**model, "agency": model[signer]}, title,
            _when(model["issued_at"], tz, "Ngày %d tháng %m năm %Y"))
    p = model["procedure"]
    _line(pdf, "Kính gửi: ", model["applicant"].name)
    _line(pdf, "", f"Ngày {_when(model['received_at'], tz, '%d/%m/%Y')}, {model['agency']} tiếp nhận "
                   f"hồ sơ đề nghị giải quyết thủ tục {p.name} (mã thủ tục {p.code}) của Ông/Bà, "
                   f"mã hồ sơ {model['code']}.")
    return pdf


def apology_pdf(model: dict, tz: str) -> bytes:
    """Form 04: phiếu xin lỗi và hẹn lại ngày trả kết quả."""
    pdf = _letter(model, tz, "late_agency")
    a = model["applicant"]
    _line(pdf, "Thời gian hẹn trả kết quả giải quyết hồ sơ: ", _when(model["appointment_at"], tz))
    _line(pdf, "", f"Tuy nhiên đến nay, {model['late_agency']} chưa trả kết quả giải quyết hồ sơ "
                   f"của Ông/Bà. Lý do: {model['reason']}")
    _line(pdf, "", f"Sự chậm trễ này đã gây phiền hà cho Ông/Bà. {model['late_agency']} xin lỗi "
                   "Ông/Bà và sẽ trả kết quả giải quyết hồ sơ cho Ông/Bà vào:")
    _line(pdf, "Thời gian hẹn trả kết quả mới: ", _when(model["postponed_to"], tz))
    _line(pdf, "", "Mong nhận được sự thông cảm của Ông/Bà.")
    pdf.set_font("Roboto", "I", 9)
    pdf.multi_cell(0, 5, f"{model['form']['label']}; {model['basis']}.", **NL)
    _signatures(pdf, ("NGƯỜI NHẬN PHIẾU", a.name), ("ĐẠI DIỆN CƠ QUAN", model["officer"]))
    return bytes(pdf.output())


def refusal_pdf(model: dict, tz: str) -> bytes:
    """Form 03: phiếu từ chối tiếp nhận giải quyết hồ sơ (reasons and legal basis)."""
    pdf = _letter(model, tz, "refusing_agency")
    a = model["applicant"]
    _line(pdf, "", f"Sau khi xem xét, {model['refusing_agency']} từ chối tiếp nhận, giải quyết hồ sơ "
                   "của Ông/Bà với lý do:")
    _line(pdf, "", model["reason"])
    _line(pdf, "Căn cứ pháp lý:", "")
    pdf.set_font("Roboto", "", 10)
    for basis in model["legal_basis"]:
        pdf.multi_cell(0, 5, f"- {basis}", align="L", markdown=False, **NL)
    _line(pdf, "", "Xin thông báo để Ông/Bà được biết.")
    _signatures(pdf, ("NGƯỜI NHẬN PHIẾU", a.name), ("ĐẠI DIỆN CƠ QUAN", model["officer"]))
    return bytes(pdf.output())


def stop_pdf(model: dict, tz: str) -> bytes:
    """Form 05 of Circular 03/2025: thông báo dừng giải quyết hồ sơ."""
    pdf = _letter(model, tz, "agency")
    a = model["applicant"]
    _line(pdf, "", f"{model['agency']} thông báo dừng giải quyết hồ sơ nêu trên từ "
                   f"{_when(model['issued_at'], tz)}. Lý do: {model['reason']}")
    _line(pdf, "", "Xin thông báo để Ông/Bà được biết.")
    _signatures(pdf, ("NGƯỜI NHẬN THÔNG BÁO", a.name), ("ĐẠI DIỆN CƠ QUAN", model["officer"]))
    return bytes(pdf.output())


def control_pdf(model: dict, tz: str) -> bytes:
    """The process control sheet: every hand-off, who, when, on time or late."""
    title = model["form"]["title"].upper()
    pdf = _pdf(f"{title} {model['code']}")
    _header(pdf, model, title, _when(model["received_at"], tz, "Ngày %d tháng %m năm %Y"))
    a, p = model["applicant"], model["procedure"]
    _line(pdf, "Kèm theo hồ sơ của: ", a.name)
    _line(pdf, "Nội dung yêu cầu giải quyết: ", f"{p.name} (mã thủ tục {p.code})")
    moved = f" (hẹn lại: {_when(model['postponed_to'], tz)})" if model["postponed_to"] else ""
    _line(pdf, "Ngày, giờ nhận hồ sơ: ", _when(model["received_at"], tz))
    _line(pdf, "Ngày, giờ hẹn trả kết quả: ", _when(model["appointment_at"], tz) + moved)
    pdf.ln(2)
    verdict = {None: "", True: "Quá hạn", False: "Đúng hạn"}
    _table(pdf, ("Đơn vị giao", "Đơn vị, người nhận", "Thời gian giao, nhận", "Người thực hiện",
                 "Kết quả", "Ghi chú"),
           [(r["giver"], r["receiver"], _when(r["at"], tz, "%H:%M %d/%m/%Y"), r["person"],
             verdict[r["late"]], r["action_label"] + (f": {r['note']}" if r["note"] else ""))
            for r in model["rows"]], (30, 30, 26, 26, 20, 42))
    return bytes(pdf.output())
