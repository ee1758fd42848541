"""The 54 ethnic groups of Vietnam as plain data, with the General Statistics Office's codes.

Codes: "Danh mục các thành phần dân tộc Việt Nam", Decision 121-TCTK/PPCĐ of 2 March 1979 (secondary: the list as
published by the GSO's Da Nang statistics office, cucthongke.danang.gov.vn, for 01–09; 10–54 as several independent
code lists built on it agree: 53 Ơ Đu, 54 Rơ Măm). The GSO's later list (Decision 1019/QĐ-TCTK, 2008) numbers the
groups differently (04 Mường, 05 Khmer, 06 Hoa, ...): a workbook coded by that list would be read wrongly, so the
import accepts names as well as codes, and the data-quality page lists what could not be read. Vietnamese names in
today's usual spelling; the 1979 spellings ("Khơ-me", "HMông", "Gia-rai", ...) and other common names are aliases.

Loaded by households' data migration; `households.ethnicity` matches free text against these names.
"""

from __future__ import annotations

# (code, name_vi, name_en, other names matched as well: older official spellings, common and English names)
ETHNIC_GROUPS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("01", "Kinh", "Kinh (Viet)", ("Việt", "Kinh (Việt)", "Viet", "Vietnamese")),
    ("02", "Tày", "Tay", ()),
    ("03", "Thái", "Thai", ()),
    ("04", "Hoa", "Hoa (Chinese)", ("Hán", "Hoa (Hán)", "Chinese")),
    ("05", "Khmer", "Khmer", ("Khơ-me", "Khơ me", "Khơme", "Khmer Krôm", "Khơ-me Krôm", "Miên")),
    ("06", "Mường", "Muong", ()),
    ("07", "Nùng", "Nung", ()),
    ("08", "Mông", "Hmong", ("HMông", "H'Mông", "Hmông", "H'mong", "Mèo")),
    ("09", "Dao", "Dao (Yao)", ("Yao",)),
    ("10", "Gia Rai", "Jarai", ("Gia-rai", "Jrai", "Giơ-rai")),
    ("11", "Ngái", "Ngai", ()),
    ("12", "Ê Đê", "Ede", ("Ê-đê", "Rhade", "Ra-đê")),
    ("13", "Ba Na", "Bahnar", ("Ba-na",)),
    ("14", "Xơ Đăng", "Sedang", ("Xơ-đăng",)),
    ("15", "Sán Chay", "San Chay", ("Cao Lan", "Sán Chỉ", "Cao Lan-Sán Chỉ")),
    ("16", "Cơ Ho", "Koho", ("Cơ-ho", "K'Ho")),
    ("17", "Chăm", "Cham", ("Chàm",)),
    ("18", "Sán Dìu", "San Diu", ()),
    ("19", "Hrê", "Hre", ()),
    ("20", "Mnông", "Mnong", ("M'Nông",)),
    ("21", "Raglai", "Raglai", ("Ra-glai", "Ra Glai")),
    ("22", "Xtiêng", "Stieng", ("X'Tiêng",)),
    ("23", "Bru-Vân Kiều", "Bru-Van Kieu", ("Vân Kiều", "Bru")),
    ("24", "Thổ", "Tho", ()),
    ("25", "Giáy", "Giay", ()),
    ("26", "Cơ Tu", "Katu", ("Cơ-tu",)),
    ("27", "Giẻ Triêng", "Gie Trieng", ("Gié-Triêng", "Gié Triêng", "Giẻ-Triêng")),
    ("28", "Mạ", "Ma", ()),
    ("29", "Khơ Mú", "Khmu", ("Khơ-mú", "Kho Mu")),
    ("30", "Co", "Co", ()),
    ("31", "Tà Ôi", "Ta Oi", ("Tà-ôi", "Ta-ôi")),
    ("32", "Chơ Ro", "Cho Ro", ("Chơ-ro",)),
    ("33", "Kháng", "Khang", ()),
    ("34", "Xinh Mun", "Xinh Mun", ("Xinh-mun",)),
    ("35", "Hà Nhì", "Ha Nhi", ()),
    ("36", "Chu Ru", "Chu Ru", ("Chu-ru",)),
    ("37", "Lào", "Lao", ()),
    ("38", "La Chí", "La Chi", ()),
    ("39", "La Ha", "La Ha", ()),
    ("40", "Phù Lá", "Phu La", ()),
    ("41", "La Hủ", "La Hu", ()),
    ("42", "Lự", "Lu", ()),
    ("43", "Lô Lô", "Lo Lo", ()),
    ("44", "Chứt", "Chut", ()),
    ("45", "Mảng", "Mang", ()),
    ("46", "Pà Thẻn", "Pa Then", ()),
    ("47", "Cơ Lao", "Co Lao", ("Cờ Lao",)),
    ("48", "Cống", "Cong", ()),
    ("49", "Bố Y", "Bo Y", ()),
    ("50", "Si La", "Si La", ()),
    ("51", "Pu Péo", "Pu Peo", ()),
    ("52", "Brâu", "Brau", ()),
    ("53", "Ơ Đu", "O Du", ()),
    ("54", "Rơ Măm", "Ro Mam", ("Rơ-măm",)),
]


def install(EthnicGroup, key) -> int:
    """Create the groups that are missing (by code); never overwrites a stored row. `key` folds a name."""
    have = set(EthnicGroup.objects.values_list("code", flat=True))
    missing = [
        EthnicGroup(code=code, name_vi=name_vi, name_en=name_en, key=key(name_vi))
        for code, name_vi, name_en, _aliases in ETHNIC_GROUPS
        if code not in have
    ]
    EthnicGroup.objects.bulk_create(missing)
    return len(missing)
