"""The one-stop rules in force on a day (văn bản áp dụng), and the forms they prescribe.

A dossier follows the rules and forms in force when it was received (or, not yet
received, when it was first brought in): before 1 July 2025 Decree 61/2018/NĐ-CP as
amended by Decree 107/2021/NĐ-CP, with the forms of Circular 01/2018/TT-VPCP; from
1 July 2025 Decree 118/2025/NĐ-CP, which repealed both, with the forms of Circular
03/2025/TT-VPCP. Every slip, notice and mail takes its citations and form numbers from
the regime of its dossier, never from a constant.

Form keys are the product's; each regime maps the keys it has to its own number and
title. Verified: Decree 118/2025 signed 09/06/2025; Circular 03/2025 signed 15/09/2025,
guiding Art. 35(1)(b, c, h) of the decree (forms, dossier code, sector codes). From
secondary sources only (unconfirmed): Decree 118 in force 01/07/2025 and repealing Decree
61/2018 and 107/2021; the titles of Circular 03/2025 Annex I (01-07); the date Circular
03/2025 took effect (dossiers from 01/07/2025 get its forms); no article numbers of
Decree 118 are cited, as none was read. Circular 01/2018 forms 01-06 and its Art. 19
code structure from secondary sources.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Form:
    """One printed form (biểu mẫu) of a circular."""

    key: str        # receipt | supplement | refusal | apology | stop | control | log_book
    number: str     # "01"
    title: str      # the circular's title, in Vietnamese

    def label(self, regime: "Regime") -> str:
        return f"Mẫu số {self.number}, {regime.forms_source}"


@dataclass(frozen=True)
class Regime:
    """The texts in force for one period, and their forms."""

    key: str
    effective_from: date
    decree: str              # the decree on the one-stop mechanism
    circular: str            # the circular that guides it and prescribes the forms
    forms_source: str        # where the forms are: "Phụ lục ... Thông tư ..."
    forms: tuple[Form, ...]
    apology_article: str     # the rule on late results (apology, one new date)
    guidance_article: str    # the rule on one complete guidance (request to supplement)
    refusal_article: str     # the rule on refusing to receive or settle a dossier

    @property
    def citation(self) -> str:
        return f"{self.decree}; {self.circular}"

    def form(self, key: str) -> Form | None:
        return next((f for f in self.forms if f.key == key), None)


DECREE_61 = "Nghị định 61/2018/NĐ-CP (sửa đổi, bổ sung bởi Nghị định 107/2021/NĐ-CP)"
CIRCULAR_01 = "Thông tư 01/2018/TT-VPCP"
DECREE_118 = "Nghị định 118/2025/NĐ-CP"
CIRCULAR_03 = "Thông tư 03/2025/TT-VPCP"

REGIME_2018 = Regime(
    key="2018", effective_from=date(2018, 6, 21),
    decree=DECREE_61, circular=CIRCULAR_01, forms_source=f"Phụ lục {CIRCULAR_01}",
    forms=(
        Form("receipt", "01", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
        Form("supplement", "02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
        Form("refusal", "03", "Phiếu từ chối tiếp nhận giải quyết hồ sơ"),
        Form("apology", "04", "Phiếu xin lỗi và hẹn lại ngày trả kết quả"),
        Form("control", "05", "Phiếu kiểm soát quá trình giải quyết hồ sơ"),
        Form("log_book", "06", "Sổ theo dõi hồ sơ"),
    ),
    apology_article="Điều 19 Nghị định 61/2018/NĐ-CP",
    guidance_article="Điều 18 Nghị định 61/2018/NĐ-CP",
    refusal_article="Điều 18 Nghị định 61/2018/NĐ-CP",
)

REGIME_2025 = Regime(
    key="2025", effective_from=date(2025, 7, 1),
    decree=DECREE_118, circular=CIRCULAR_03, forms_source=f"Phụ lục I {CIRCULAR_03}",
    forms=(
        Form("receipt", "01", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
        Form("supplement", "02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
        Form("refusal", "03", "Phiếu từ chối tiếp nhận giải quyết hồ sơ"),
        Form("apology", "04", "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết"),
        Form("stop", "05", "Thông báo dừng giải quyết hồ sơ"),
        Form("control", "06", "Phiếu kiểm soát quá trình giải quyết hồ sơ"),
        Form("log_book", "07", "Sổ theo dõi hồ sơ"),
    ),
    apology_article="Nghị định 118/2025/NĐ-CP",
    guidance_article="Nghị định 118/2025/NĐ-CP",
    refusal_article="Nghị định 118/2025/NĐ-CP",
)

REGIMES = (REGIME_2025, REGIME_2018)  # newest first


def regime_on(day: date) -> Regime:
    """The regime in force on a local day."""
    for regime in REGIMES:
        if day >= regime.effective_from:
            return regime
    return REGIMES[-1]


def regime_of(dossier, tz) -> Regime:
    """The regime a dossier follows: the one in force when it was received (or, before
    that, when it was first brought in)."""
    moment: datetime | None = dossier.received_at or dossier.created_at
    return regime_on(moment.astimezone(tz).date()) if moment else REGIMES[0]


def applicable_forms(dossier, tz) -> list[Form]:
    """The forms of the dossier's regime that exist for it now, in form-number order:
    the receipt and the process control sheet once received, the request to supplement
    once one was issued, the refusal when rejected, the apology when the date was moved,
    the notice of stopping when withdrawn (where the regime has that form). The log book
    is kept per agency, not per dossier."""
    regime = regime_of(dossier, tz)
    present = {
        "receipt": dossier.received_at is not None,
        "supplement": bool(dossier.notices()),
        "refusal": dossier.status == "rejected",
        "apology": dossier.postponed_to is not None,
        "stop": dossier.status == "withdrawn",
        "control": dossier.received_at is not None,
    }
    return [f for f in regime.forms if present.get(f.key)]
