"""Texts that reach the supervisor pages from data modules, written here so that the
translation catalog has them (`make translations` extracts literal strings only): the
groups and criteria of the Decision 766/QĐ-TTg service index (workflow/domain/service_index.py)
and the columns of form II.06a (web/api/reports.py LABELS). The pages translate them with
`_(name)`; the Vietnamese stays the source and the exports keep it."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

NAMES = (
    _l("Công khai, minh bạch"),
    _l("Tiến độ, kết quả giải quyết"),
    _l("Cung cấp dịch vụ trực tuyến"),
    _l("Số hóa hồ sơ"),
    _l("Mức độ hài lòng"),
    _l("Tỷ lệ thủ tục hành chính công bố đúng hạn"),
    _l("Tỷ lệ TTHC được cập nhật, công khai đúng hạn"),
    _l("Tỷ lệ TTHC công khai đầy đủ các bộ phận tạo thành"),
    _l("Tỷ lệ hồ sơ đồng bộ lên Cổng Dịch vụ công quốc gia"),
    _l("Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn"),
    _l("Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến"),
    _l("Tỷ lệ dịch vụ công trực tuyến có phát sinh hồ sơ trực tuyến"),
    _l("Tỷ lệ hồ sơ nộp trực tuyến"),
    _l("Tỷ lệ TTHC có nghĩa vụ tài chính tích hợp thanh toán trực tuyến"),
    _l("TTHC có phát sinh giao dịch thanh toán trực tuyến"),
    _l("Tỷ lệ hồ sơ thanh toán trực tuyến"),
    _l("Tỷ lệ hồ sơ có cấp kết quả điện tử"),
    _l("Tỷ lệ hồ sơ được số hóa"),
    _l("Tỷ lệ hồ sơ cấp bản sao điện tử"),
    _l("Tỷ lệ tái sử dụng dữ liệu số hóa"),
    _l("Kết nối kho dữ liệu cá nhân trên Cổng DVCQG"),
    _l("Khai thác, kết nối Cơ sở dữ liệu quốc gia về dân cư"),
    _l("Tỷ lệ phản ánh, kiến nghị được xử lý đúng hạn"),
    _l("Mức độ hài lòng về kết quả xử lý phản ánh, kiến nghị"),
    _l("Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC"),
    _l("Mã cơ quan"),
    _l("Cơ quan tiếp nhận"),
    _l("Mã thủ tục"),
    _l("Tên thủ tục"),
    _l("Tổng số hồ sơ nhận giải quyết"),
    _l("Từ kỳ trước chuyển qua"),
    _l("Mới tiếp nhận trong kỳ"),
    _l("Trực tuyến"),
    _l("Trực tiếp, qua bưu chính"),
    _l("Đã giải quyết"),
    _l("Trước hạn"),
    _l("Đúng hạn"),
    _l("Quá hạn"),
    _l("Đang giải quyết"),
    _l("Trong hạn"),
    _l("Quá hạn (đang giải quyết)"),
    _l("Đã trả kết quả"),
    _l("Từ chối giải quyết"),
    _l("Rút hồ sơ"),
)
