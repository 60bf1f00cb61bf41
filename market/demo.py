"""The demo city 锦川市: units, warehouses, a category tree, ~8,000 assets, the pool, vendors and a year of
requests run through the real services. Deterministic from the seed (except timestamps and password salts)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select, update
from sqlmodel import Session

from market import acquisitions as svc_acq
from market import disposal as svc_disposal
from market import orders as svc_orders
from market import requests as svc_requests
from market import transfers as svc_transfers
from market.accounts import hash_password
from market.assets import epc_for, tag_for
from market.errors import Conflict, MarketError
from market.infra.eventlog import log_event
from market.models import (
    ROLES,
    ApprovalRule,
    Asset,
    Category,
    DamageRecord,
    Event,
    Notice,
    Order,
    PoolListing,
    RentalOffer,
    RentalVendor,
    Request,
    SearchOutbox,
    Unit,
    User,
    Warehouse,
    money,
)
from market.models.base import frozen_clock
from market.proposals import accept_proposal, run_matcher
from market.standards import OFF_BOOKS, load_defaults, standards_by_category

PASSWORD = "demo1234"
CITY = "锦川市"
CENTRE = (30.60, 104.00)

DISTRICTS = {  # name → (lat, lng, streets)
    "锦城区": (30.63, 104.02, ["府前路", "人民中路", "文庙街", "锦华路", "青年路", "玉带路"]),
    "东湖区": (30.58, 104.11, ["东湖大道", "湖滨路", "物流园路", "天府街", "春熙路"]),
    "西岭区": (30.66, 103.90, ["西岭大道", "雪山路", "银杏路", "蜀西路"]),
    "南浦区": (30.49, 104.02, ["南浦大道", "滨江路", "科创路", "白鹭街"]),
    "云溪县": (30.73, 104.09, ["云溪大道", "桂花街", "新华路"]),
}

# code, name, district, kind (gov / inst / district / temp / new)
UNITS: list[tuple[str, str, str, str]] = [
    ("JGSWJ", "市机关事务管理局", "锦城区", "gov"), ("JYJ", "市教育局", "锦城区", "gov"),
    ("WJW", "市卫生健康委员会", "锦城区", "gov"), ("GAJ", "市公安局", "锦城区", "gov"),
    ("CZJ", "市财政局", "锦城区", "gov"), ("ZRZYJ", "市自然资源和规划局", "东湖区", "gov"),
    ("WGLJ", "市文化广电旅游局", "锦城区", "gov"), ("TYJ", "市体育局", "东湖区", "gov"),
    ("TJJ", "市统计局", "锦城区", "gov"), ("ZWFW", "市政务服务中心", "东湖区", "inst"),
    ("SZFB", "市人民政府办公室", "锦城区", "gov"), ("FGW", "市发展和改革委员会", "锦城区", "gov"),
    ("JXJ", "市经济和信息化局", "东湖区", "gov"), ("SWJ", "市商务局", "东湖区", "gov"),
    ("RSJ", "市人力资源和社会保障局", "东湖区", "gov"), ("MZJ", "市民政局", "锦城区", "gov"),
    ("SFJ", "市司法局", "锦城区", "gov"), ("STHJJ", "市生态环境局", "西岭区", "gov"),
    ("ZJJ", "市住房和城乡建设局", "东湖区", "gov"), ("JTJ", "市交通运输局", "南浦区", "gov"),
    ("SWUJ", "市水务局", "南浦区", "gov"), ("NYJ", "市农业农村局", "西岭区", "gov"),
    ("YJJ", "市应急管理局", "东湖区", "gov"), ("SJJ", "市市场监督管理局", "锦城区", "gov"),
    ("SJIJ", "市审计局", "锦城区", "gov"), ("TYJRJ", "市退役军人事务局", "南浦区", "gov"),
    ("YBJ", "市医疗保障局", "东湖区", "gov"), ("CGJ", "市城市管理局", "锦城区", "gov"),
    ("KJJ", "市科学技术局", "南浦区", "gov"), ("TCJ", "市投资促进局", "东湖区", "gov"),
    ("QXJ", "市气象局", "西岭区", "gov"), ("RFB", "市人民防空办公室", "锦城区", "gov"),
    ("XFJ", "市信访局", "锦城区", "gov"), ("BMJ", "市国家保密局", "锦城区", "gov"),
    ("DAG", "市档案馆", "锦城区", "inst"), ("TSG", "市图书馆", "东湖区", "inst"),
    ("BWG", "市博物馆", "锦城区", "inst"), ("TYZX", "市体育中心", "东湖区", "inst"),
    ("JKZX", "市疾病预防控制中心", "南浦区", "inst"), ("JJZX", "市急救中心", "锦城区", "inst"),
    ("SYY", "市第一人民医院", "锦城区", "inst"), ("SYZ", "市第一中学", "西岭区", "inst"),
    ("SYXX", "市实验小学", "锦城区", "inst"), ("JCZY", "锦川职业技术学院", "南浦区", "inst"),
    ("HZZX", "市会展中心管理处", "东湖区", "inst"), ("RMT", "市融媒体中心", "锦城区", "inst"),
    ("ZGH", "市总工会", "锦城区", "inst"), ("TSW", "共青团锦川市委员会", "锦城区", "inst"),
    ("FL", "市妇女联合会", "锦城区", "inst"), ("KX", "市科学技术协会", "南浦区", "inst"),
    ("HSZH", "市红十字会", "西岭区", "inst"),
    ("JCQ", "锦城区人民政府办公室", "锦城区", "district"), ("DHQ", "东湖区人民政府办公室", "东湖区", "district"),
    ("XLQ", "西岭区人民政府办公室", "西岭区", "district"), ("NPQ", "南浦区人民政府办公室", "南浦区", "district"),
    ("YXX", "云溪县人民政府办公室", "云溪县", "district"),
    ("YDHCB", "第十届全市运动会筹备办公室", "东湖区", "temp"),
    ("CWZB", "锦川市创建全国文明城市指挥部办公室", "锦城区", "temp"),
    ("MLSZW", "第五届锦川国际马拉松组委会办公室", "东湖区", "temp"),
    ("FXB", "市防汛抗旱指挥部办公室", "南浦区", "temp"),
    ("SJUJ", "市数据局", "东湖区", "new"),
]

# code, name, parent, unit, rate 元/件/km, price 元, weight kg, warehouse stock, event item,
# models: (brand, model, price factor)
CATEGORY_PARENTS = [
    ("A02", "通用设备", None), ("A0201", "计算机设备", "A02"), ("A0202", "办公设备", "A02"),
    ("A0203", "网络设备", "A02"), ("A0204", "电源设备", "A02"), ("A0209", "视听设备", "A02"),
    ("A0210", "空调及电器", "A02"), ("A05", "家具用具", None), ("A0501", "家具", "A05"),
    ("A0502", "会展用具", "A05"),
]
M = tuple[str, str, float]
CATEGORIES: list[tuple[str, str, str, str, str, int, float, int, bool, list[M]]] = [
    ("A02010104", "台式计算机", "A0201", "台", "0.4", 5200, 9, 60, False,
     [("联想", "启天M450", 0.95), ("华为", "擎云B730", 1.05), ("长城", "世恒TN140A", 1.0)]),
    ("A02010105", "笔记本电脑", "A0201", "台", "0.3", 6500, 2, 120, True,
     [("联想", "ThinkPad E14", 0.85), ("联想", "ThinkPad X1 Carbon", 1.8), ("华为", "MateBook 14", 0.95)]),
    ("A02010106", "平板电脑", "A0201", "台", "0.2", 3800, 0.6, 30, True,
     [("华为", "MatePad 11", 0.7), ("苹果", "iPad Air", 1.25)]),
    ("A02010601", "显示器", "A0201", "台", "0.3", 1200, 5, 40, False,
     [("戴尔", "P2422H", 1.1), ("明基", "GW2480", 0.7), ("AOC", "24B2XH", 0.6)]),
    ("A02020100", "投影仪", "A0202", "台", "0.5", 4800, 3.5, 30, True,
     [("爱普生", "CB-X06", 0.7), ("爱普生", "CB-FH52", 1.3), ("明基", "E580", 0.95)]),
    ("A02020200", "投影幕", "A0202", "个", "0.6", 1800, 12, 20, True,
     [("红叶", "120英寸电动幕", 1.0), ("百维", "100英寸支架幕", 0.4)]),
    ("A02021001", "激光打印机", "A0202", "台", "0.5", 2600, 10, 30, True,
     [("惠普", "LaserJet Pro M404dn", 0.9), ("奔图", "P3300DN", 0.6), ("兄弟", "HL-5595DN", 1.05)]),
    ("A02021101", "多功能一体机", "A0202", "台", "0.8", 11000, 45, 8, False,
     [("震旦", "AD369s", 1.05), ("理光", "MP 2555SP", 1.25), ("佳能", "iR 2625", 0.85)]),
    ("A02021401", "碎纸机", "A0202", "台", "0.5", 1300, 15, 10, False, [("得力", "9918", 1.0), ("科密", "S-8", 0.85)]),
    ("A02021501", "白板", "A0202", "个", "0.6", 650, 15, 20, True, [("得力", "7880", 1.0), ("齐心", "BB7621", 0.9)]),
    ("A02030101", "路由器", "A0203", "台", "0.2", 1500, 1.5, 20, True,
     [("华为", "AR6120", 1.8), ("TP-LINK", "TL-ER6120G", 0.8), ("华三", "ER3200G3", 1.0)]),
    ("A02030201", "交换机", "A0203", "台", "0.3", 3200, 4, 10, False,
     [("华为", "S5735-L24T4S", 1.15), ("华三", "S5130S-28S", 0.9)]),
    ("A02040101", "UPS电源", "A0204", "台", "1.0", 4200, 30, 10, True,
     [("山特", "C3K", 0.9), ("华为", "UPS2000-A-3KTTL", 1.1)]),
    ("A02040201", "移动发电机", "A0204", "台", "2.0", 16000, 150, 6, True,
     [("雅马哈", "EF6300iSE", 1.1), ("本田", "EU70is", 1.2)]),
    ("A02090101", "照相机", "A0209", "台", "0.3", 16000, 1.2, 12, True,
     [("佳能", "EOS R6", 1.0), ("尼康", "Z6II", 0.85), ("索尼", "A7M4", 1.05)]),
    ("A02090201", "摄像机", "A0209", "台", "0.4", 24000, 2.5, 8, True,
     [("索尼", "PXW-Z190", 1.15), ("松下", "AG-UX180", 0.9), ("佳能", "XF405", 1.0)]),
    ("A02090301", "音响系统", "A0209", "套", "2.0", 18000, 80, 10, True,
     [("雅马哈", "STAGEPAS 1K", 0.9), ("JBL", "EON715成套", 0.8), ("博世", "会议扩声套装", 1.25)]),
    ("A02090401", "无线话筒", "A0209", "个", "0.1", 1800, 0.5, 60, True,
     [("铁三角", "ATW-1302", 0.9), ("舒尔", "BLX288", 1.3), ("森海塞尔", "EW 100 G4", 2.6)]),
    ("A02090501", "LED显示屏", "A0209", "套", "3.0", 68000, 300, 4, True,
     [("洲明", "P2.5室内屏12㎡", 1.0), ("利亚德", "P3户外屏15㎡", 1.25)]),
    ("A02090601", "对讲机", "A0209", "台", "0.1", 1200, 0.3, 80, True,
     [("摩托罗拉", "XiR P3688", 1.4), ("海能达", "BD500", 0.7)]),
    ("A02100101", "空调机", "A0210", "台", "1.2", 4800, 45, 20, True,
     [("格力", "KFR-35GW", 0.75), ("美的", "KFR-72LW", 1.35), ("海尔", "KFR-50LW", 1.1)]),
    ("A02100201", "饮水机", "A0210", "台", "0.5", 900, 15, 30, True,
     [("美的", "YR1226S-X", 1.0), ("海尔", "HSW-V5", 0.8)]),
    ("A05010101", "办公桌", "A0501", "张", "1.0", 1600, 45, 80, False,
     [("震旦", "CF-1680", 1.1), ("圣奥", "ST-1600", 0.95), ("得力", "DL-1470", 0.7)]),
    ("A05010102", "会议桌", "A0501", "张", "1.2", 2400, 60, 120, True,
     [("震旦", "CT-2412", 1.1), ("圣奥", "HY-3612", 0.95)]),
    ("A05010103", "折叠桌", "A0501", "张", "0.8", 380, 15, 200, True,
     [("得力", "1.8米折叠长条桌", 1.0), ("金海马", "ZD-1845", 0.9)]),
    ("A05010201", "会议椅", "A0501", "把", "0.8", 350, 8, 700, True,
     [("震旦", "CH-8806", 1.1), ("圣奥", "SA-HY802", 0.95), ("得力", "DL-87022", 0.75)]),
    ("A05010202", "折叠椅", "A0501", "把", "0.5", 120, 4, 500, True,
     [("得力", "DL-ZY01", 1.0), ("金海马", "ZY-520", 0.9)]),
    ("A05010203", "办公椅", "A0501", "把", "0.8", 780, 12, 100, False,
     [("震旦", "CH-280", 1.1), ("圣奥", "SA-A101", 0.95), ("西昊", "M57", 0.7)]),
    ("A05010301", "沙发", "A0501", "套", "2.0", 4800, 90, 20, True,
     [("震旦", "SF-3三人位", 1.0), ("圣奥", "SO-301", 0.9)]),
    ("A05010401", "文件柜", "A0501", "个", "1.0", 1200, 50, 60, False,
     [("得力", "钢制文件柜3371", 0.8), ("震旦", "FC-1850", 1.1)]),
    ("A05010402", "书架", "A0501", "个", "1.0", 900, 40, 20, False, [("圣奥", "SJ-0918", 1.0)]),
    ("A05010501", "保险柜", "A0501", "台", "1.5", 3200, 120, 6, False,
     [("得力", "4078", 0.8), ("虎牌", "FDG-A1/D-80", 1.2)]),
    ("A05010601", "床", "A0501", "张", "1.2", 1100, 40, 60, True, [("圣奥", "0.9米单人铁架床", 1.0)]),
    ("A05010701", "演讲台", "A0501", "个", "1.0", 2800, 35, 12, True, [("震旦", "YJT-01实木演讲台", 1.0)]),
    ("A05020101", "帐篷", "A0502", "顶", "1.5", 2600, 45, 80, True,
     [("天幕", "3×3米折叠帐篷", 0.45), ("天幕", "5×10米人字篷房", 2.2)]),
    ("A05020201", "展板", "A0502", "块", "0.6", 420, 12, 200, True, [("博展", "1.2×2.4米八棱柱展板", 1.0)]),
    ("A05020202", "隔断", "A0502", "套", "0.8", 900, 25, 60, True, [("博展", "1.2米屏风隔断", 1.0)]),
    ("A05020301", "舞台桁架", "A0502", "套", "2.5", 12000, 400, 20, True, [("星光", "铝合金桁架300×300", 1.0)]),
    ("A05020401", "拼装舞台", "A0502", "块", "1.5", 900, 35, 60, True, [("星光", "1.22×2.44米拼装舞台板", 1.0)]),
    ("A05020501", "签到台", "A0502", "张", "0.8", 600, 20, 30, True, [("博展", "1.8米签到台", 1.0)]),
]
# in-use stock per unit, per category code (a mid-size unit)
UNIT_STOCK = {"A02010104": 18, "A02010105": 10, "A02010601": 10, "A02021001": 5, "A02021101": 1,
              "A05010101": 18, "A05010203": 18, "A05010201": 12, "A05010102": 2, "A05010401": 10,
              "A02100101": 6, "A02100201": 2, "A05010301": 1, "A02030101": 1, "A02090101": 1}
IDLE_CATS = ["A05010201", "A05010101", "A05010203", "A05010401", "A02010104", "A02010601", "A02021001",
             "A05010102", "A02100101", "A02010105", "A05010402", "A02020100"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏"
GIVEN = "建国 伟 芳 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 志强 海燕 晓东 雪梅 文博 子涵 思远 浩然 雨萱 嘉怡 俊杰 欣怡 宇航 婷婷 国庆 红梅 建华".split()
VENUES = [("锦川国际会展中心", "东湖区会展大道1号", 30.575, 104.125), ("市体育中心", "东湖区体育路8号", 30.59, 104.10),
          ("市民广场", "锦城区府前路1号", 30.632, 104.018), ("锦川宾馆", "锦城区人民中路88号", 30.628, 104.03),
          ("市人民会堂", "锦城区文庙街2号", 30.64, 104.01), ("西岭湿地公园", "西岭区雪山路66号", 30.67, 103.88),
          ("南浦江滩公园", "南浦区滨江路200号", 30.48, 104.035), ("云溪古镇广场", "云溪县桂花街1号", 30.735, 104.095),
          ("锦川职业技术学院体育馆", "南浦区科创路99号", 30.495, 104.01)]
VENDORS = [("锦川市华彩会展服务有限公司", "东湖区会展大道58号", 30.57, 104.13),
           ("锦川鸿运桌椅租赁有限公司", "锦城区玉带路17号", 30.62, 104.04),
           ("蜀锦舞台灯光音响工程有限公司", "西岭区银杏路126号", 30.66, 103.92),
           ("锦川市恒信办公设备租赁有限公司", "锦城区青年路45号", 30.64, 104.00),
           ("锦川天幕帐篷篷房有限公司", "南浦区白鹭街9号", 30.50, 104.00),
           ("锦川市星光LED显示科技有限公司", "东湖区天府街310号", 30.59, 104.14),
           ("锦川市联创电脑租赁服务部", "锦城区锦华路12号", 30.615, 104.025),
           ("锦川市百事通会务用品有限公司", "东湖区湖滨路76号", 30.585, 104.09),
           ("西南博展展览展示有限公司", "南浦区科创路188号", 30.47, 104.05),
           ("锦川市安达空调租赁有限公司", "云溪县新华路33号", 30.72, 104.07)]
EVENT_KINDS = [  # title, purpose, venue index, organiser codes, line categories
    ("全市两会会务保障", "大型会议", 4, ["SZFB"], ["A05010201", "A05010102", "A02090401", "A02090301", "A02020100"]),
    ("第十届全市运动会", "活动保障", 1, ["YDHCB", "TYJ"], ["A05020101", "A05010202", "A02090601", "A05010103"]),
    ("招商引资推介会", "大型会议", 0, ["TCJ", "SWJ"], ["A05010201", "A02090501", "A05020201", "A05020501"]),
    ("人才交流会", "活动保障", 0, ["RSJ"], ["A05010103", "A05010202", "A05020202", "A02010105"]),
    ("防汛应急演练", "应急保障", 6, ["FXB", "YJJ"], ["A05020101", "A02040201", "A02090601", "A05010601"]),
    ("锦川国际马拉松", "活动保障", 2, ["MLSZW", "TYJ"], ["A05020101", "A05010103", "A02090601", "A02100201"]),
    ("锦川文化旅游节", "活动保障", 7, ["WGLJ"], ["A05020401", "A05020301", "A02090301", "A05020101"]),
    ("全市教育工作会议", "大型会议", 3, ["JYJ"], ["A05010201", "A02020100", "A02020200", "A02090401"]),
    ("全国文明城市创建推进会", "大型会议", 4, ["CWZB"], ["A05010201", "A02090401", "A05010701"]),
    ("中高考考务保障", "活动保障", 8, ["JYJ"], ["A02090601", "A05010103", "A05010202", "A02100201"]),
    ("科技活动周", "活动保障", 8, ["KJJ", "KX"], ["A05020201", "A05010103", "A02010106", "A02020100"]),
    ("全市统计业务培训", "大型会议", 3, ["TJJ"], ["A02010105", "A05010201", "A02020100"]),
]


@dataclass
class DemoSummary:
    units: int
    warehouses: int
    categories: int
    assets: int
    listings: int
    vendors: int
    offers: int
    requests: int
    orders: int
    events: int
    seconds: float


DEMO_ACCOUNTS: list[tuple[str, str, str]] = [
    ("jyj_staff", ROLES["unit_staff"], PASSWORD), ("jyj_admin", ROLES["unit_manager"], PASSWORD),
    ("gwc_admin", ROLES["warehouse_admin"], PASSWORD), ("czj", ROLES["finance"], PASSWORD),
    ("sysadmin", ROLES["sysadmin"], PASSWORD),
] + [(f"{c.lower()}_admin", ROLES["unit_manager"], PASSWORD)
     for c in ["WJW", "GAJ", "WGLJ", "TYJ", "TJJ", "RSJ", "SWJ", "TCJ", "YJJ", "YDHCB", "SJUJ", "JCQ"]]


def build_demo(db: Session, seed: int = 2026, today: date | None = None,
               progress: Callable[[str], None] | None = None) -> DemoSummary:
    """Fill an empty, migrated database with the demo city; one transaction, committed at the end."""
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    if db.exec(select(func.count()).select_from(Unit)).one()[0]:
        raise Conflict("数据库已有数据，演示城市只能生成到空数据库中。")
    today = today or date.today()
    rng = random.Random(seed)
    db.info["in_service"] = True
    try:
        _build(db, rng, today, say)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    finally:
        db.info["in_service"] = False

    def count(model: type) -> int:
        return db.exec(select(func.count()).select_from(model)).one()[0]

    return DemoSummary(units=count(Unit), warehouses=count(Warehouse), categories=count(Category),
                       assets=count(Asset), listings=count(PoolListing), vendors=count(RentalVendor),
                       offers=count(RentalOffer), requests=count(Request), orders=count(Order),
                       events=count(Event), seconds=round(time.perf_counter() - started, 2))


CITY_MAIL_DOMAIN = "jinchuan.example.gov.cn"  # the demo city 锦川市
UNREAD_DAYS = 7  # a demo account's notices of the last week are unread, the year before them read


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _build(db: Session, rng: random.Random, today: date, say: Callable[[str], None]) -> None:
    say("创建单位、仓库和账号…")
    units: dict[str, Unit] = {}
    for code, name, district, _kind in UNITS:
        lat0, lng0, streets = DISTRICTS[district]
        u = Unit(code=code, name=name, short_name=name.removeprefix("市")[:40], district=district,
                 address=f"{CITY}{district}{rng.choice(streets)}{rng.randint(1, 300)}号",
                 lat=round(lat0 + rng.uniform(-0.03, 0.03), 6), lng=round(lng0 + rng.uniform(-0.03, 0.03), 6),
                 contact=_person(rng), phone=f"028-{rng.randint(8000, 8999)}{rng.randint(1000, 9999)}",
                 is_bureau=code == "JGSWJ")
        db.add(u)
        units[code] = u
    db.flush()
    bureau = units["JGSWJ"]
    whs = [Warehouse(code="GWC1", name="公物仓一号库", operator_unit_id=bureau.id, district="东湖区",
                     address=f"{CITY}东湖区物流园路8号", lat=30.571, lng=104.142),
           Warehouse(code="GWC2", name="公物仓二号库", operator_unit_id=bureau.id, district="西岭区",
                     address=f"{CITY}西岭区蜀西路218号", lat=30.662, lng=103.885)]
    db.add_all(whs)
    pw = hash_password(PASSWORD)
    users: dict[str, User] = {}

    def add_user(username: str, role: str, unit: Unit | None) -> User:
        u = User(username=username, display_name=_person(rng), role=role, unit_id=unit.id if unit else None,
                 password_hash=pw)
        db.add(u)
        users[username] = u
        return u

    add_user("jyj_staff", "unit_staff", units["JYJ"])
    add_user("gwc_admin", "warehouse_admin", bureau)
    add_user("czj", "finance", None)
    add_user("sysadmin", "sysadmin", None)
    for code, *_ in UNITS:
        if code != "JGSWJ":
            add_user(f"{code.lower()}_admin", "unit_manager", units[code])
    for action, role in [("loan", "warehouse_admin"), ("idle_transfer", "warehouse_admin"),
                         ("ownership_transfer", "finance"), ("disposal", "finance")]:
        db.add(ApprovalRule(action=action, min_value=Decimal(0), steps=[role]))
    db.flush()
    for u in users.values():
        log_event(db, None, "user", u.id, "create", f"创建用户 {u.username}（{u.role_label}）", after={"role": u.role})
    admin = users["gwc_admin"]

    say("创建资产分类…")
    cats: dict[str, Category] = {}
    for code, name, parent in CATEGORY_PARENTS:
        c = Category(code=code, name=name, parent_id=cats[parent].id if parent else None, is_leaf=False,
                     measure_unit="件", reference_price=Decimal(0))
        db.add(c)
        db.flush()
        cats[code] = c
    models: dict[str, list[M]] = {}
    for code, name, parent, mu, rate, price, weight, _wq, _ev, mods in CATEGORIES:
        # Illustrative carbon factors (kg CO2e per kg of a new item): electronics weigh little but cost much
        # carbon to make; the bureau sets its own factors on the administration page.
        per_kg = 40.0 if code.startswith("A02") else 3.0 if code.startswith("A05") else 6.0
        c = Category(code=code, name=name, parent_id=cats[parent].id, measure_unit=mu, transport_rate=Decimal(rate),
                     reference_price=money(price), typical_weight_kg=weight, co2e_kg_per_item=round(weight * per_kg, 1))
        db.add(c)
        cats[code] = c
        models[code] = mods
    db.flush()
    load_defaults(db)  # the central configuration standard, for the categories of the tree

    say("生成资产台账（约 8000 件）…")
    go_live = datetime.combine(today - timedelta(days=380), datetime.min.time(), UTC) + timedelta(hours=1)
    seqs: dict[tuple[str, int], int] = {}

    def asset_row(unit: Unit, code: str, cond: str, status: str, wh: Warehouse | None = None,
                  model: M | None = None, confidential: bool = False, location: str = "") -> dict:
        cat = cats[code]
        brand, mdl, factor = model or rng.choice(models[code])
        pdate = today - timedelta(days=rng.randint(400, 400 + 8 * 365))
        key = (unit.code, pdate.year)
        seqs[key] = seqs.get(key, 0) + 1
        tag = tag_for(unit.code, pdate.year, seqs[key])
        person = _person(rng)
        return dict(tag=tag, epc=epc_for(tag), name=cat.name, category_id=cat.id, brand=brand, model=mdl,
                    owner_unit_id=unit.id, warehouse_id=wh.id if wh else None,
                    custodian=wh.name if wh else person, responsible_person=wh.name if wh else unit.contact,
                    location=location or (wh.name if wh else f"{unit.name}{rng.randint(1, 9)}楼{rng.choice(['办公室', '会议室', '档案室', '机房', '值班室'])}"),
                    condition=cond, original_value=money(float(cat.reference_price) * factor * rng.uniform(0.9, 1.1)),
                    purchase_date=pdate, photos=[], status=status, confidential=confidential, listing_id=None,
                    created_at=go_live, updated_at=go_live)

    # warehouse stock, grouped into lots (warehouse + category + model + condition)
    lots: list[tuple[Warehouse | None, Unit, str, list[dict], str]] = []
    for code, *_rest in CATEGORIES:
        wq = _rest[5]
        for mdl in models[code]:
            for cond, share in (("全新", 0.3), ("良好", 0.55), ("一般", 0.15)):
                n = round(1.45 * wq * share / len(models[code]) * rng.uniform(0.8, 1.2))
                if n < 1:
                    continue
                wh = whs[rng.randrange(2)]
                lot = [asset_row(bureau, code, cond, "listed", wh, mdl) for _ in range(n)]
                lots.append((wh, bureau, code, lot, "both"))
    # units: in use, idle lots, confidential, broken
    in_use: list[dict] = []
    for code, _name, _d, kind in UNITS[1:]:
        unit = units[code]
        size = {"gov": 1.0, "inst": 1.3, "district": 1.2, "temp": 0.4, "new": 0.3}[kind] * rng.uniform(0.35, 0.75)
        secret = code in ("GAJ", "BMJ", "SZFB", "CZJ")
        for ccode, n in UNIT_STOCK.items():
            for _ in range(max(0, round(n * size))):
                r = rng.random()
                cond = "全新" if r < 0.15 else "良好" if r < 0.75 else "一般" if r < 0.93 else "待维修" if r < 0.97 else "报废"
                status = "in_repair" if cond == "待维修" else "idle" if cond == "报废" else "in_use"
                conf = secret and ccode.startswith("A0201") and rng.random() < 0.6
                in_use.append(asset_row(unit, ccode, cond, status, confidential=conf))
        if kind in ("gov", "inst", "district") and rng.random() < 0.7:
            for ccode in rng.sample(IDLE_CATS, rng.randint(1, 3)):
                mdl = rng.choice(models[ccode])
                lot = [asset_row(unit, ccode, rng.choice(["良好", "良好", "一般", "全新"]), "listed", model=mdl)
                       for _ in range(rng.randint(3, 45))]
                lots.append((None, unit, ccode, lot, rng.choice(["loan", "transfer", "both", "both"])))

    def bulk_assets(batch: list[dict]) -> list[int]:
        ids = list(db.execute(insert(Asset).returning(Asset.id, sort_by_parameter_order=True), batch).scalars())
        return ids

    ids = bulk_assets(in_use)
    ev_rows = [dict(at=go_live, actor_id=None, entity="asset", entity_id=i, action="create",
                    summary=f"资产建账（{r['purchase_date']:%Y年%m月}购置）", before=None,
                    after={"status": r["status"], "owner_unit_id": r["owner_unit_id"], "condition": r["condition"]},
                    ref_entity=None, ref_id=None) for i, r in zip(ids, in_use, strict=True)]
    say("挂牌公物仓库存与闲置资产…")
    listings: list[PoolListing] = []
    list_at = go_live + timedelta(days=3)
    for wh, holder, ccode, lot, mode in lots:
        first = lot[0]
        cond = first["condition"]
        window = (None, None)
        if wh is None and rng.random() < 0.25:
            window = (today - timedelta(days=rng.randint(30, 200)), today + timedelta(days=rng.randint(60, 300)))
        pl = PoolListing(title=f"{first['brand']}{first['name']} {first['model']}（{cond}）"[:120],
                         description=f"{holder.name}{'闲置' if wh is None else ''}{first['name']}，共 {len(lot)} {cats[ccode].measure_unit}",
                         category_id=cats[ccode].id, holder_unit_id=holder.id, warehouse_id=wh.id if wh else None,
                         mode=mode, available_from=window[0], available_until=window[1],
                         handling_cost=money(rng.choice([2, 3, 5, 8]) if wh else rng.choice([0, 0, 1, 2])),
                         created_by=admin.id if wh else users[f"{holder.code.lower()}_admin"].id,
                         created_at=list_at, updated_at=list_at)
        db.add(pl)
        listings.append(pl)
    db.flush()
    for pl, (wh, holder, _c, lot, _m) in zip(listings, lots, strict=True):
        for r in lot:
            r["listing_id"] = pl.id
        lot_ids = bulk_assets(lot)
        actor = pl.created_by
        for i, r in zip(lot_ids, lot, strict=True):
            snap = {"status": "listed", "owner_unit_id": holder.id, "condition": r["condition"], "listing_id": pl.id}
            if wh is not None:
                ev_rows.append(dict(at=list_at, actor_id=actor, entity="asset", entity_id=i, action="receive",
                                    summary=f"入库：{wh.name}", before=None, after=snap, ref_entity="listing",
                                    ref_id=pl.id))
            else:
                ev_rows.append(dict(at=go_live, actor_id=None, entity="asset", entity_id=i, action="create",
                                    summary=f"资产建账（{r['purchase_date']:%Y年%m月}购置）", before=None,
                                    after={**snap, "status": "in_use", "listing_id": None}, ref_entity=None,
                                    ref_id=None))
                ev_rows.append(dict(at=list_at, actor_id=actor, entity="asset", entity_id=i, action="list",
                                    summary=f"挂牌进入公物仓：{pl.title}", before={**snap, "status": "in_use",
                                                                             "listing_id": None},
                                    after=snap, ref_entity="listing", ref_id=pl.id))
        ev_rows.append(dict(at=list_at, actor_id=actor, entity="listing", entity_id=pl.id, action="create",
                            summary=f"挂牌 {len(lot)} 件：{pl.title}", before=None,
                            after={"quantity": len(lot), "mode": pl.mode}, ref_entity=None, ref_id=None))
        db.add(SearchOutbox(listing_id=pl.id))
    db.execute(insert(Event), ev_rows)

    say("创建社会租赁供应商与报价…")
    offers: dict[str, list[RentalOffer]] = {}
    event_cats = [c[0] for c in CATEGORIES if c[8]]
    for name, addr, lat, lng in VENDORS:
        v = RentalVendor(name=name, contact=_person(rng), phone=f"138{rng.randint(10000000, 99999999)}",
                         address=f"{CITY}{addr}", lat=lat, lng=lng)
        db.add(v)
        db.flush()
        for ccode in rng.sample(event_cats, rng.randint(4, 9)):
            price = float(cats[ccode].reference_price)
            o = RentalOffer(vendor_id=v.id, category_id=cats[ccode].id, description=f"{cats[ccode].name}租赁",
                            price_per_unit_day=money(max(2.0, price * rng.uniform(0.008, 0.02))),
                            delivery_fee=money(rng.choice([0, 100, 200, 300, 500, 800])),
                            capacity=rng.choice([None, 100, 200, 500, 1000]))
            db.add(o)
            offers.setdefault(ccode, []).append(o)
    db.flush()

    say("模拟一年的会议与活动需求…")
    _simulate(db, rng, today, units, users, cats, listings, offers)
    say("编制人数与配置标准…")
    _staffing(db, units, cats)
    _early_disposals(db, today, units, users, cats)
    say("配置申请（先调剂后配置）…")
    _acquisitions(db, today, units, users, cats)
    _chains_and_holders(db, today, units, users, cats)
    # Addresses come after the year of history, so its notices are not queued as e-mail; from now on each
    # notice to them is (and, with no mail server configured, waits marked 未配置邮件服务).
    for u in users.values():
        u.email = f"{u.username.replace('_', '.')}@{CITY_MAIL_DOMAIN}"
    # The people of the city read what the year told them: only the last week's notices wait unread.
    read_until = datetime(today.year, today.month, today.day, tzinfo=UTC) - timedelta(days=UNREAD_DAYS)
    db.execute(update(Notice).where(Notice.read_at.is_(None), Notice.created_at < read_until)
               .values(read_at=Notice.created_at))


def _simulate(db: Session, rng: random.Random, today: date, units: dict[str, Unit], users: dict[str, User],
              cats: dict[str, Category], listings: list[PoolListing], offers: dict[str, list[RentalOffer]]) -> None:
    admin = users["gwc_admin"]
    plans = []
    for i in range(45):
        title, purpose, venue, orgs, lcats = EVENT_KINDS[i % len(EVENT_KINDS)]
        if i < 36:
            start = today - timedelta(days=rng.randint(10, 350))
        elif i < 37:
            start = today - timedelta(days=rng.randint(0, 2))
        else:
            start = today + timedelta(days=rng.randint(5, 60))
        end = start + timedelta(days=rng.randint(1, 5))
        plans.append((start, i, title, purpose, venue, orgs, lcats, end))
    plans.sort()
    pending_returns: list[tuple[date, int, list[Order]]] = []

    def run_returns(until: date) -> None:
        pending_returns.sort(key=lambda x: (x[0], x[1]))
        while pending_returns and pending_returns[0][0] < until:
            due, _k, orders = pending_returns.pop(0)
            with frozen_clock(at(due, 16)):
                for o in orders:
                    _return(db, rng, admin, o)

    def at(day: date, hour: int = 9) -> datetime:  # a working hour in Asia/Shanghai, as UTC
        return datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), tzinfo=UTC) - timedelta(hours=8)

    for start, i, title, purpose, venue, orgs, lcats, end in plans:
        run_returns(start)
        vname, vaddr, vlat, vlng = VENUES[venue]
        for j, org in enumerate(orgs):
            unit = units[org]
            actor = users["jyj_staff"] if org == "JYJ" and i % 2 else users[f"{org.lower()}_admin"]
            lines = [svc_requests.LineInput(category_id=cats[c].id, quantity=rng.choice([10, 20, 30, 50, 80, 100, 150,
                                                                                          200, 300, 400]) if c in (
                "A05010201", "A05010202", "A05010103") else rng.randint(10, 60), start_date=start, end_date=end,
                priority=rng.choice([1, 1, 2, 3])) for c in lcats[j::len(orgs)] or lcats[:2]]
            if org in ("YDHCB", "SJUJ", "MLSZW", "CWZB", "FXB") and rng.random() < 0.5:
                for c in ("A05010101", "A05010203", "A05010401"):
                    lines.append(svc_requests.LineInput(category_id=cats[c].id, quantity=rng.randint(10, 20),
                                                        start_date=start, end_date=None, note="临时机构办公用房配置"))
            asked = min(start - timedelta(days=12), today) if start > today else start - timedelta(days=12)
            with frozen_clock(at(asked, 10)):
                req = svc_requests.submit_request(db, actor, f"{start.year}年{title}物资保障（{unit.short_name}）",
                                                  lines, purpose=purpose, place=f"{vname}（{CITY}{vaddr}）",
                                                  unit_id=unit.id, location=(vlat, vlng))
            if start > today and rng.random() < 0.6:
                continue  # the approval queue
            with frozen_clock(at(min(asked + timedelta(days=2), today), 15)):
                svc_requests.approve_request(db, admin, req.id)
            if start > today + timedelta(days=20):
                continue  # approved, waiting for the matcher
            planned = min(asked + timedelta(days=4), today)
            with frozen_clock(at(planned, 11)):
                # the matcher's proposal for what is approved now, accepted as it stands
                prop = run_matcher(db, admin, "tiered", 30, today=planned)
                accept_proposal(db, admin, prop.id)
            orders = db.scalars(select(Order).where(Order.proposal_id == prop.id).order_by(Order.id)).all()
            if start <= today:
                with frozen_clock(at(start - timedelta(days=1), 8)):
                    for o in orders:
                        try:
                            svc_orders.hand_out(db, admin, o.id)
                        except MarketError:
                            svc_orders.cancel_order(db, admin, o.id, "物资未能按期出库")
                loans = [o for o in orders if o.kind in ("loan", "rental") and o.status == "on_loan"]
                if end < today:
                    pending_returns.append((_returned_on(rng, start, end), req.id, loans))
    run_returns(today)
    # damage compensation received for about half of the user damage, a fortnight after the return
    pend = db.scalars(select(DamageRecord).where(DamageRecord.status == "pending").order_by(DamageRecord.id)).all()
    for rec in pend[::2]:
        with frozen_clock(min(rec.created_at + timedelta(days=14), at(today, 10))):
            svc_orders.settle_damage(db, admin, rec.id, "已缴入财政专户")
    # an ownership transfer waiting for the finance supervisor
    desks = db.exec(select(Asset.id).where(Asset.owner_unit_id == units["WGLJ"].id, Asset.status == "in_use",
                                           Asset.category_id == cats["A05010101"].id).order_by(Asset.id)).all()
    if desks:
        svc_transfers.propose_transfer(db, users["wglj_admin"], [d[0] for d in desks[:6]], units["SJUJ"].id,
                                       "支持新组建的市数据局办公用房配置")


# (unit, category code, quantity, unit price, rank, reason, ask finance if over a standard, the unit's answer to
# the pool's offer: "accept", "decline: why" or None to leave it waiting, finance's answer or None)
ACQUISITIONS = [
    ("RSJ", "A05010203", 4, "700", "junior", "新录用公务员 4 人到岗，办公椅配置", False, "accept", None),
    ("TJJ", "A02010105", 6, "6500", "", "经济普查外业调查人员携带使用", False, "accept", None),
    ("GAJ", "A02010105", 3, "9800", "", "视频图像侦查需高配置便携式计算机",
     False, "decline:库存机型无独立显卡，不能满足视频解析要求", None),
    ("SJUJ", "A02010104", 5, "8800", "", "数据分析岗位图形工作站（新组建单位）",
     True, "decline:库存台式机配置不满足大数据分析软件要求", "approve:同意，限数据分析岗位使用，不得挪作他用"),
    ("TYJ", "A02020100", 2, "9000", "", "体育馆大屏投影，需高亮度工程投影机",
     True, "decline:库存为便携式投影仪，亮度不足", None),
    ("WJW", "A05010401", 10, "900", "junior", "档案室扩容，新增文件柜", False, None, None),
]


def _acquisitions(db: Session, today: date, units: dict[str, Unit], users: dict[str, User],
                  cats: dict[str, Category]) -> None:
    """A few acquisition requests (配置申请) in their various states: one met from the pool, one partly bought,
    one refused over a price cap, one approved by finance as an exception, one waiting for finance, one
    waiting for the unit's answer to the pool's offer."""
    finance = users["czj"]
    for n, (code, cat, qty, price, rank, reason, exception, answer, decision) in enumerate(ACQUISITIONS):
        unit, who = units[code], users[f"{code.lower()}_admin"]
        day = today - timedelta(days=len(ACQUISITIONS) - n)
        with frozen_clock(datetime(day.year, day.month, day.day, 2, 10 * n, tzinfo=UTC)):
            req = svc_acq.submit_acquisition(db, who, svc_acq.AcquisitionInput(cats[cat].id, qty, price, reason, rank,
                                                                               exception), unit_id=unit.id)
        if req.status == "pool_offer" and answer:
            with frozen_clock(datetime(day.year, day.month, day.day, 6, 10 * n, tzinfo=UTC)):
                if answer == "accept":
                    svc_acq.accept_pool(db, who, req.id)
                else:
                    svc_acq.decline_pool(db, who, req.id, answer.split(":", 1)[1])
        if req.status == "over_cap" and decision:
            with frozen_clock(datetime(day.year, day.month, day.day, 8, 10 * n, tzinfo=UTC)):
                verdict, note = decision.split(":", 1)
                svc_acq.decide_exception(db, finance, req.id, verdict == "approve", note)


CONFIDENTIAL_NETWORKS = ("GAJ", "BMJ")  # units running a confidential network: 台式计算机 up to 150 % of staff
OVER_CAP = 4  # units whose staff is fewer than their desktops (the supervision report's "over the cap")


def _staffing(db: Session, units: dict[str, Unit], cats: dict[str, Category]) -> None:
    """编制内实有人数 for every unit: enough for what it holds under the configuration standard's quantity caps,
    plus some (12 to 180 people for most units), except for the few units holding the most desktops, whose staff
    is a fifth fewer than their desktops: over the cap. Its own random stream, so the rest of the city is as before."""
    rng = random.Random("锦川市编制")
    table = standards_by_category(db)
    held: dict[int, dict[object, int]] = {}
    desktops: dict[int, int] = {}
    for unit_id, cat_id, n in db.execute(select(Asset.owner_unit_id, Asset.category_id, func.count())
                                         .where(Asset.status.not_in(OFF_BOOKS), Asset.warehouse_id.is_(None))
                                         .group_by(Asset.owner_unit_id, Asset.category_id)).all():
        s = table.get(cat_id)
        if s is not None and s.quantity_share is not None:
            key = s.quantity_group or s.quantity_category_id
            held.setdefault(unit_id, {})[key] = held.setdefault(unit_id, {}).get(key, 0) + n
            if cat_id == cats["A02010104"].id:
                desktops[unit_id] = desktops.get(unit_id, 0) + n
    shares = {(s.quantity_group or s.quantity_category_id): s for s in table.values() if s.quantity_share is not None}
    over = sorted((u for c, u in units.items() if c not in CONFIDENTIAL_NETWORKS and not u.is_bureau),
                  key=lambda u: (-desktops.get(u.id, 0), u.code))[:OVER_CAP]
    for code, unit in units.items():
        unit.confidential_network = code in CONFIDENTIAL_NETWORKS
        needed = 0
        for key, n in held.get(unit.id, {}).items():
            s = shares[key]
            share = s.quantity_share_confidential if unit.confidential_network and s.quantity_share_confidential else \
                s.quantity_share
            needed = max(needed, -(-n * 100 // share))
        if unit in over:
            unit.staff_count = max(12, desktops.get(unit.id, 0) * 4 // 5)
        else:
            unit.staff_count = max(needed, min(180, max(12, needed) + rng.randint(3, 40)))
        db.add(unit)
    db.flush()


def _early_disposals(db: Session, today: date, units: dict[str, Unit], users: dict[str, User],
                     cats: dict[str, Category]) -> None:
    """A few units asked to scrap computers younger than their minimum service life (refused, and recorded for
    the supervision report); one whose laptop is broken beyond repair waits for finance's extra approval."""
    when = datetime(today.year, today.month, today.day, 2, 30, tzinfo=UTC)  # 10:30 in Beijing
    young_from = today.replace(year=today.year - 6)
    computers = [cats["A02010104"].id, cats["A02010105"].id]
    with frozen_clock(when):
        for code in ("JYJ", "WJW", "TJJ"):
            asset = db.scalars(select(Asset).where(
                Asset.owner_unit_id == units[code].id, Asset.status == "in_use", Asset.category_id.in_(computers),
                Asset.purchase_date > young_from).order_by(Asset.purchase_date.desc(), Asset.id)).first()
            if asset is None:
                continue
            actor = users[f"{code.lower()}_admin"]
            try:
                svc_disposal.apply_disposal(db, actor, [asset.id], "scrap", "设备老旧，申请更新换代")
            except svc_disposal.EarlyDisposalRefused as refused:
                svc_disposal.record_refusal(db, actor, "scrap", refused)
        broken = db.scalars(select(Asset).where(
            Asset.owner_unit_id == units["RSJ"].id, Asset.status.in_(("in_use", "in_repair", "idle")),
            Asset.category_id == cats["A02010105"].id, Asset.purchase_date > young_from)
            .order_by(Asset.purchase_date.desc(), Asset.id)).first()
        if broken is not None:
            svc_disposal.apply_disposal(db, users["rsj_admin"], [broken.id], "scrap", "外出执法途中跌落，主板与屏幕损毁",
                                        beyond_repair=True, damage_report="锦川市电子产品质量检验所 检验报告〔2026〕第118号")


def _chains_and_holders(db: Session, today: date, units: dict[str, Unit], users: dict[str, User],
                        cats: dict[str, Category]) -> None:
    """Approval chains and hand-overs by holders (issue 16, items 5 and 6): chain rules above 50,000 元 (laid down
    after the year's history, which went through the one-step defaults), a large loan part-way along its chain,
    and loans of units' idle items waiting for their holders to hand them over."""
    from market import approvals

    sysadmin, admin = users["sysadmin"], users["gwc_admin"]
    big = ["unit_manager", "warehouse_admin", "finance"]
    approvals.add_rule(db, sysadmin, "loan", "50000", big)
    approvals.set_approval_rule(db, sysadmin, "ownership_transfer", "0", ["unit_manager", "warehouse_admin"])
    approvals.add_rule(db, sysadmin, "ownership_transfer", "50000", big)
    start = today + timedelta(days=18)
    lines = [svc_requests.LineInput(category_id=cats["A02010105"].id, quantity=30, start_date=start,
                                    end_date=start + timedelta(days=4), note="全市教师信息化培训")]
    req = svc_requests.submit_request(db, users["jyj_staff"], f"{start.year}年全市教师信息化培训用笔记本电脑",
                                      lines, purpose="活动保障")
    svc_requests.approve_request(db, users["jyj_admin"], req.id)  # step 1 of 3: now the warehouse's turn
    # loans of units' idle items: the holding unit's manager hands them over (two, when the pool has them)
    lots = db.scalars(select(PoolListing).where(PoolListing.status == "active", PoolListing.warehouse_id.is_(None),
                                                PoolListing.mode != "transfer").order_by(PoolListing.id)).all()
    made, start = 0, today + timedelta(days=6)
    for lot in lots:
        borrower = next((c for c in ("WJW", "TYJ", "GAJ") if units[c].id != lot.holder_unit_id), None)
        if made == 2 or borrower is None:
            break
        line = svc_requests.LineInput(category_id=lot.category_id, quantity=1, start_date=start,
                                      end_date=start + timedelta(days=2))
        busy_from, busy_until = start, start + timedelta(days=2 + svc_orders.TURNAROUND_DAYS)
        if (lot.available_from and busy_from < lot.available_from
                or lot.available_until and busy_until > lot.available_until
                or not svc_orders.free_items(db, lot, busy_from, busy_until)):
            continue  # checked first: a refusal half-way would leave half a request in the demo's one transaction
        try:
            r = svc_requests.submit_request(db, users[f"{borrower.lower()}_admin"], f"借用{lot.title}", [line],
                                            purpose="日常办公")
            svc_requests.approve_request(db, admin, r.id)
            svc_orders.allocate_from_listing(db, admin, svc_requests.request_lines(db, r.id)[0].id, lot.id, 1)
            made += 1
        except MarketError:
            continue


def _returned_on(rng: random.Random, start: date, end: date) -> date:
    """The day a unit brings its loan back, as units do: mostly on the last day, some a day early when the
    event ends early, a few one to three days late."""
    r = rng.random()
    if r < 0.1 and end > start:
        return end - timedelta(days=1)
    if r < 0.9:
        return end
    return end + timedelta(days=rng.randint(1, 3))


def _return(db: Session, rng: random.Random, admin: User, order: Order) -> None:
    if order.status != "on_loan":
        return
    if order.kind == "rental":
        svc_orders.return_loan(db, admin, order.id, {})
        return
    rows = svc_orders.order_items(db, order.id)
    ins: dict[int, svc_orders.Inspection] = {}
    for item, a in rows:
        r = rng.random()
        promised = db.exec(select(func.count()).select_from(svc_orders.OrderItem).where(
            svc_orders.OrderItem.asset_id == a.id, svc_orders.OrderItem.active.is_(True),
            svc_orders.OrderItem.order_id != order.id)).one()[0]
        if r < 0.01 and not promised and item.condition_out != "一般":
            ins[a.id] = svc_orders.Inspection("一般", "wear", "正常使用磨损")
        elif r < 0.014 and not promised:
            ins[a.id] = svc_orders.Inspection("待维修", "user", "搬运中损坏，需维修",
                                              money(float(a.original_value) * rng.uniform(0.05, 0.3)))
        else:
            ins[a.id] = svc_orders.Inspection(item.condition_out)
    svc_orders.return_loan(db, admin, order.id, ins)
