"""Deterministic generator of realistic Chinese pool listings for the search benchmarks."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

CATEGORIES = [
    ("A05010201", "会议椅", ["家具用具", "椅凳类", "会议椅"], ["震旦", "圣奥", "冠美", "华盛"], ["AD", "SA", "GM"]),
    ("A05010203", "折叠椅", ["家具用具", "椅凳类", "折叠椅"], ["震旦", "永艺", "好事达"], ["ZD", "YY", "HS"]),
    ("A05010204", "办公椅", ["家具用具", "椅凳类", "办公椅"], ["西昊", "永艺", "黑白调"], ["M", "YY", "HB"]),
    ("A05010101", "办公桌", ["家具用具", "台桌类", "办公桌"], ["美时", "震旦", "圣奥"], ["MS", "AD", "SA"]),
    ("A05010102", "会议桌", ["家具用具", "台桌类", "会议桌"], ["震旦", "美时"], ["AD-T", "MS-T"]),
    ("A05010501", "文件柜", ["家具用具", "柜类", "文件柜"], ["洛阳", "花王", "卓远"], ["WJG", "HW", "ZY"]),
    ("A05010502", "保密柜", ["家具用具", "柜类", "保密柜"], ["迪堡", "全能"], ["BMG", "QN"]),
    ("A02010104", "笔记本电脑", ["通用设备", "计算机", "笔记本电脑"], ["联想", "华为", "戴尔", "惠普"],
     ["ThinkPad E14", "ThinkPad X1", "MateBook D14", "Latitude 5420", "ProBook 440"]),
    ("A02010105", "台式计算机", ["通用设备", "计算机", "台式计算机"], ["联想", "戴尔", "惠普", "华为"],
     ["ThinkCentre M720", "OptiPlex 7090", "ProDesk 400", "QingYun W515"]),
    ("A02021001", "投影仪", ["通用设备", "办公设备", "投影仪"], ["爱普生", "明基", "索尼", "松下"],
     ["CB-X06", "CB-X49", "MW560", "VPL-EX430", "PT-X351"]),
    ("A02021002", "投影幕", ["通用设备", "办公设备", "投影幕"], ["红叶", "堡狮龙"], ["HY-120", "BSL-100"]),
    ("A02020401", "激光打印机", ["通用设备", "办公设备", "激光打印机"], ["惠普", "兄弟", "联想", "佳能"],
     ["LaserJet M126a", "DCP-7195DW", "LJ2405", "LBP2900"]),
    ("A02020402", "打印一体机", ["通用设备", "办公设备", "打印一体机"], ["惠普", "兄弟", "佳能"],
     ["M232dwc", "MFC-7880DN", "MF643Cdw"]),
    ("A02061504", "空调", ["通用设备", "制冷设备", "空调"], ["格力", "美的", "海尔", "海信"],
     ["KFR-72LW", "KFR-35GW", "KFR-26GW", "KFR-50LW"]),
    ("A03080101", "帐篷", ["专用设备", "应急救援", "帐篷"], ["际华", "牧高笛", "探路者"], ["JH-12", "MG-4", "TL-6"]),
    ("A02091001", "音箱", ["通用设备", "音视频设备", "音箱"], ["JBL", "惠威", "漫步者", "雅马哈"],
     ["PRX-815", "M200", "R1700BT", "DXR10"]),
    ("A02052301", "碎纸机", ["通用设备", "办公设备", "碎纸机"], ["得力", "科密", "齐心"], ["DL-9952", "KM-C1", "QX-S"]),
    ("A02100301", "电视机", ["通用设备", "音视频设备", "电视机"], ["海信", "创维", "小米"], ["65E3F", "55A3", "L65M5"]),
]
ADJ = ["闲置", "九成新", "全新未拆封", "功能完好", "少量划痕", "成套", "批量", "已检修", "原包装", "带配件"]
COLOURS = ["黑色", "灰色", "白色", "胡桃木色", "银色", "蓝色"]
DISTRICTS = [("涪城区", 31.46, 104.74), ("游仙区", 31.48, 104.78), ("安州区", 31.53, 104.56), ("江油市", 31.78, 104.74),
             ("三台县", 31.09, 105.09), ("盐亭县", 31.21, 105.39), ("梓潼县", 31.64, 105.16), ("北川县", 31.83, 104.46)]
BUREAUS = ["财政局", "教育局", "卫生健康委员会", "应急管理局", "自然资源局", "交通运输局", "文化广电旅游局", "民政局",
           "人力资源和社会保障局", "市场监督管理局", "住房和城乡建设局", "农业农村局", "公安局", "司法局", "统计局",
           "生态环境局", "水利局", "审计局", "档案馆", "图书馆", "人民医院", "第一中学", "实验小学", "疾病预防控制中心"]
PHRASES = ["可借用可调剂", "适合会议室使用", "随时可自提", "需提前三天预约", "配送范围限本市", "使用年限三年",
           "原值较高", "外观良好", "配有说明书", "可整批调剂", "可拆分调剂", "存放于一号库房", "需自行搬运"]
CONDITIONS = ["全新", "良好", "一般"]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def holders() -> list[tuple[str, str, float, float]]:
    out = []
    for d, lat, lng in DISTRICTS:
        for b in BUREAUS:
            name = ("市" if d == "涪城区" else d) + b
            out.append((name, d, lat, lng))
    return out


def generate(n: int, seed: int = 42) -> list[dict]:
    rnd = random.Random(seed)
    hs = holders()
    docs = []
    for i in range(n):
        code, cname, path, brands, models = rnd.choice(CATEGORIES)
        brand = rnd.choice(brands)
        m = rnd.choice(models)
        model = m if (" " in m or "-" in m or len(m) > 4) else f"{m}-{rnd.randint(1, 99):02d}"
        holder, district, lat, lng = rnd.choice(hs)
        tier = rnd.choices(["warehouse", "idle", "rental"], [3, 6, 1])[0]
        title = rnd.choice([
            f"{brand}{cname}（{rnd.choice(ADJ)}）", f"{brand}{cname} {model}", f"{rnd.choice(COLOURS)}{cname} {rnd.choice(ADJ)}",
            f"{cname} {brand} {rnd.choice(ADJ)}", f"{brand} {model} {cname}",
        ])
        desc = "，".join(rnd.sample(PHRASES, 3)) + f"。{brand}{cname}，型号{model}，{rnd.choice(COLOURS)}。"
        start = rnd.random() < 0.3
        af = (date(2026, 11, 1) + timedelta(days=rnd.randint(0, 120))) if start else None
        au = (af or date(2026, 11, 1)) + timedelta(days=rnd.randint(10, 200)) if rnd.random() < 0.3 else None
        docs.append({
            "id": f"L{i + 1}", "title": title, "description": desc, "category_code": code, "category_name": cname,
            "category_path": path, "brand": brand, "model": model, "tier": tier, "holder": holder, "district": district,
            "conditions": sorted(set(rnd.choices(CONDITIONS, k=rnd.randint(1, 2))), key=CONDITIONS.index),
            "modes": rnd.choice([["loan"], ["transfer"], ["loan", "transfer"]]), "quantity": rnd.randint(1, 50),
            "available_from": af.isoformat() if af else None, "available_until": au.isoformat() if au else None,
            "lat": lat + rnd.uniform(-0.05, 0.05), "lng": lng + rnd.uniform(-0.05, 0.05),
            "created_at": (T0 + timedelta(minutes=rnd.randint(0, 460_000))).isoformat(), "photo": None,
        })
    return docs


# Mixed queries: 2-character words, phrases, pinyin, typos, brand + model.
QUERIES = ["椅子", "桌子", "帐篷", "柜子", "会议椅", "折叠椅", "激光打印机", "格力空调", "笔记本电脑", "投影仪",
           "huiyiyi", "hyy", "dyj", "zhediedie", "thinkpda e14", "optiplx", "联想 ThinkPad", "爱普生 CB-X06", "cbx06",
           "惠普 M126a", "音响", "电脑", "碎纸机", "保密柜", "海信电视"]
# LIKE baseline: the words a naive scan would look for.
LIKE_TERMS = {"huiyiyi": "会议椅", "hyy": "会议椅", "dyj": "打印机", "zhediedie": "折叠椅", "thinkpda e14": "ThinkPad E14",
              "optiplx": "OptiPlex", "cbx06": "CB-X06", "柜子": "柜", "椅子": "椅", "桌子": "桌"}
