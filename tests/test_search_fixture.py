"""~40 realistic pool documents for the search contract tests (warehouse lots, idle lots, rental offers).

Named test_search_* so it lives with the search tests; it holds data only, no tests."""

from __future__ import annotations

CATS = {
    "A05010201": ("会议椅", ["家具用具", "椅凳类", "会议椅"]),
    "A05010203": ("折叠椅", ["家具用具", "椅凳类", "折叠椅"]),
    "A05010204": ("办公椅", ["家具用具", "椅凳类", "办公椅"]),
    "A05010101": ("办公桌", ["家具用具", "台桌类", "办公桌"]),
    "A05010102": ("会议桌", ["家具用具", "台桌类", "会议桌"]),
    "A05010501": ("文件柜", ["家具用具", "柜类", "文件柜"]),
    "A02010104": ("笔记本电脑", ["通用设备", "计算机", "笔记本电脑"]),
    "A02010105": ("台式计算机", ["通用设备", "计算机", "台式计算机"]),
    "A02021001": ("投影仪", ["通用设备", "办公设备", "投影仪"]),
    "A02021002": ("投影幕", ["通用设备", "办公设备", "投影幕"]),
    "A02020401": ("激光打印机", ["通用设备", "办公设备", "激光打印机"]),
    "A02061504": ("空调", ["通用设备", "制冷设备", "空调"]),
    "A03080101": ("帐篷", ["专用设备", "应急救援", "帐篷"]),
    "A02091001": ("音箱", ["通用设备", "音视频设备", "音箱"]),
}

# holder → (district, lat, lng)
PLACES = {
    "市公物仓（涪城库）": ("涪城区", 31.4680, 104.6790),
    "市卫生健康委员会": ("涪城区", 31.4560, 104.7420),
    "市教育局": ("游仙区", 31.4840, 104.7760),
    "市应急管理局": ("安州区", 31.5350, 104.5670),
    "游仙区财政局": ("游仙区", 31.4730, 104.8030),
    "蜀通租赁有限公司": ("", 31.4300, 104.7100),
    "绵州会展服务部": ("", 31.5000, 104.7000),
}

_ROWS = [
    # id, title, category, brand, model, tier, holder, conditions, modes, qty, from, until, created
    ("L1", "震旦会议椅（闲置）", "A05010201", "震旦", "AD-01", "idle", "市卫生健康委员会", ["良好"], ["loan", "transfer"], 15, None, None, "2026-11-20"),
    ("L2", "会议椅 皮面 黑色", "A05010201", "圣奥", "SA-H12", "warehouse", "市公物仓（涪城库）", ["全新", "良好"], ["transfer"], 40, None, None, "2026-11-02"),
    ("L3", "培训教室折叠椅", "A05010203", "震旦", "ZD-F3", "idle", "市教育局", ["一般"], ["loan"], 60, "2026-12-01", "2027-03-01", "2026-10-15"),
    ("L4", "不锈钢折叠椅", "A05010203", "", "", "warehouse", "市公物仓（涪城库）", ["良好"], ["loan", "transfer"], 25, None, "2027-01-31", "2026-09-01"),
    ("L5", "人体工学办公椅", "A05010204", "西昊", "M57", "idle", "游仙区财政局", ["良好"], ["transfer"], 6, "2026-12-15", None, "2026-11-18"),
    ("L6", "实木办公桌 1.6米", "A05010101", "美时", "MS-1600", "warehouse", "市公物仓（涪城库）", ["良好"], ["transfer"], 8, None, None, "2026-08-20"),
    ("L7", "钢木写字台", "A05010101", "", "", "idle", "市教育局", ["一般"], ["transfer"], 3, None, None, "2026-07-11"),
    ("L8", "椭圆会议桌", "A05010102", "震旦", "AD-T24", "idle", "市卫生健康委员会", ["良好"], ["loan"], 1, "2026-11-01", "2026-11-30", "2026-10-01"),
    ("L9", "钢制文件柜 五节", "A05010501", "", "WJG-5", "warehouse", "市公物仓（涪城库）", ["全新"], ["transfer"], 30, None, None, "2026-11-10"),
    ("L10", "档案文件柜（密集）", "A05010501", "", "", "idle", "市应急管理局", ["一般"], ["transfer"], 4, None, None, "2026-06-05"),
    ("L11", "联想ThinkPad E14 笔记本电脑", "A02010104", "联想", "ThinkPad E14", "idle", "市卫生健康委员会", ["良好"], ["loan", "transfer"], 12, None, "2027-06-30", "2026-11-15"),
    ("L12", "ThinkPad X1 Carbon 笔记本", "A02010104", "联想", "ThinkPad X1", "warehouse", "市公物仓（涪城库）", ["全新"], ["loan"], 5, None, None, "2026-11-19"),
    ("L13", "戴尔台式计算机 OptiPlex 7090", "A02010105", "戴尔", "OptiPlex 7090", "idle", "市教育局", ["良好"], ["transfer"], 20, None, None, "2026-09-30"),
    ("L14", "惠普台式电脑", "A02010105", "惠普", "ProDesk 400", "warehouse", "市公物仓（涪城库）", ["一般"], ["transfer"], 10, None, None, "2026-05-20"),
    ("L15", "爱普生投影仪 CB-X06", "A02021001", "爱普生", "CB-X06", "idle", "市卫生健康委员会", ["良好"], ["loan"], 2, "2026-12-01", "2026-12-31", "2026-11-21"),
    ("L16", "明基投影机 高亮", "A02021001", "明基", "MW560", "warehouse", "市公物仓（涪城库）", ["良好"], ["loan", "transfer"], 3, None, None, "2026-10-28"),
    ("L17", "电动投影幕 120寸", "A02021002", "红叶", "HY-120", "warehouse", "市公物仓（涪城库）", ["全新"], ["transfer"], 4, None, None, "2026-10-05"),
    ("L18", "惠普激光打印机 M126a", "A02020401", "惠普", "LaserJet M126a", "idle", "游仙区财政局", ["良好"], ["transfer"], 2, None, None, "2026-11-12"),
    ("L19", "兄弟打印一体机", "A02020401", "兄弟", "DCP-7195DW", "warehouse", "市公物仓（涪城库）", ["良好"], ["transfer"], 6, None, None, "2026-09-12"),
    ("L20", "格力柜式空调 3匹", "A02061504", "格力", "KFR-72LW", "idle", "市应急管理局", ["良好"], ["transfer"], 2, None, None, "2026-08-08"),
    ("L21", "美的挂式空调 1.5匹", "A02061504", "美的", "KFR-35GW", "warehouse", "市公物仓（涪城库）", ["一般"], ["transfer"], 9, None, None, "2026-07-01"),
    ("L22", "救灾帐篷 12平方米", "A03080101", "际华", "JH-12", "warehouse", "市公物仓（涪城库）", ["全新"], ["loan"], 100, None, None, "2026-11-01"),
    ("L23", "应急篷房 6x9米", "A03080101", "", "PF-69", "idle", "市应急管理局", ["良好"], ["loan"], 4, "2026-11-25", "2027-02-28", "2026-10-20"),
    ("L24", "会议音箱 一对", "A02091001", "JBL", "JBL-PRX", "idle", "市教育局", ["良好"], ["loan"], 2, None, "2026-12-20", "2026-11-03"),
    ("L25", "惠威有源音箱", "A02091001", "惠威", "M200", "warehouse", "市公物仓（涪城库）", ["全新"], ["loan", "transfer"], 4, None, None, "2026-04-18"),
    ("L26", "会议椅 网布 灰色", "A05010201", "", "HY-08", "idle", "游仙区财政局", ["一般"], ["transfer"], 12, None, None, "2026-03-03"),
    ("L27", "<script>alert(1)</script> 会议椅", "A05010201", "", "", "idle", "市教育局", ["一般"], ["transfer"], 1, None, None, "2026-02-02"),
    ("L28", "ThinkCentre 台式计算机", "A02010105", "联想", "ThinkCentre M720", "idle", "市应急管理局", ["良好"], ["transfer"], 7, None, None, "2026-06-16"),
    ("L29", "文件柜 双开门 铁皮", "A05010501", "", "TP-2", "idle", "市卫生健康委员会", ["良好"], ["transfer"], 5, "2027-01-01", None, "2026-11-16"),
    ("L30", "多功能会议桌", "A05010102", "", "", "warehouse", "市公物仓（涪城库）", ["良好"], ["loan", "transfer"], 2, None, None, "2026-10-10"),
    ("L31", "格力空调 挂机", "A02061504", "格力", "KFR-26GW", "idle", "市教育局", ["良好"], ["transfer"], 3, None, None, "2026-09-09"),
    ("L32", "激光打印机 黑白", "A02020401", "联想", "LJ2405", "warehouse", "市公物仓（涪城库）", ["一般"], ["transfer"], 5, None, None, "2026-08-18"),
    ("L33", "户外帐篷 4人", "A03080101", "", "", "idle", "游仙区财政局", ["良好"], ["loan"], 2, "2026-10-01", "2026-10-31", "2026-09-25"),
    ("L34", "会议室投影仪", "A02021001", "索尼", "VPL-EX430", "idle", "市应急管理局", ["一般"], ["loan"], 1, None, None, "2026-05-05"),
    ("L35", "办公椅 升降", "A05010204", "", "", "warehouse", "市公物仓（涪城库）", ["良好"], ["transfer"], 18, None, None, "2026-11-08"),
]

_RENTALS = [
    ("M1", "帐篷租赁（蜀通租赁有限公司）", "A03080101", "蜀通租赁有限公司"),
    ("M2", "折叠椅租赁（蜀通租赁有限公司）", "A05010203", "蜀通租赁有限公司"),
    ("M3", "音箱租赁（绵州会展服务部）", "A02091001", "绵州会展服务部"),
    ("M4", "投影仪租赁（绵州会展服务部）", "A02021001", "绵州会展服务部"),
]


def documents() -> list[dict]:
    docs = []
    for (i, title, code, brand, model, tier, holder, conds, modes, qty, af, au, created) in _ROWS:
        name, path = CATS[code]
        district, lat, lng = PLACES[holder]
        docs.append({
            "id": i, "title": title, "description": f"{title}，{name}，可调剂使用。", "category_code": code,
            "category_name": name, "category_path": path, "brand": brand, "model": model, "tier": tier,
            "holder": holder, "district": district, "conditions": conds, "modes": modes, "quantity": qty,
            "available_from": af, "available_until": au, "lat": lat, "lng": lng,
            "created_at": f"{created}T08:00:00+00:00", "photo": None,
        })
    for (i, title, code, vendor) in _RENTALS:
        name, path = CATS[code]
        _, lat, lng = PLACES[vendor]
        docs.append({
            "id": i, "title": title, "description": f"提供{name}租赁，按天计费，送货上门。", "category_code": code,
            "category_name": name, "category_path": path, "brand": "", "model": "", "tier": "rental",
            "holder": vendor, "district": "", "conditions": [], "modes": ["loan"], "quantity": 50,
            "available_from": None, "available_until": None, "lat": lat, "lng": lng, "created_at": None,
            "photo": None, "price_per_unit_day": "5.00", "delivery_fee": "100.00",
        })
    return docs
