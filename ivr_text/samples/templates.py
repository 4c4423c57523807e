"""Data for the synthetic sample world: the IVR menu, complaint templates and slot vocabularies.

Everything here is written for this project (no row of any real data set is copied). Complaint templates
imitate the style of agent-written operator work orders ("客户反映…，要求…"): an opening, a class-specific
body with slots ``{city}``, ``{package}``, ``{amount}``…, an optional demand and a closing. Slots are filled
from the vocabularies below, so the same template yields many different strings.
"""

from __future__ import annotations

# ------------------------------------------------------------------------------------------------ menu
# (id, label, parent, key, kind). Order of siblings = order in which the prompt reads them (key order).
MENU_NODES: list[tuple[str, str, str | None, str | None, str]] = [
    ("root", "欢迎致电中国移动", None, None, "menu"),
    ("bill", "话费查询", "root", "1", "menu"),
    ("bill_balance", "余额查询", "bill", "1", "service"),
    ("bill_detail", "账单明细", "bill", "2", "menu"),
    ("bill_detail_month", "本月账单", "bill_detail", "1", "service"),
    ("bill_detail_history", "历史账单", "bill_detail", "2", "service"),
    ("bill_detail_sms", "详单短信发送", "bill_detail", "3", "service"),
    ("bill_pay", "充值缴费", "bill", "3", "service"),
    ("bill_agent", "话费人工咨询", "bill", "0", "agent"),
    ("data", "流量查询", "root", "2", "menu"),
    ("data_remaining", "剩余流量查询", "data", "1", "service"),
    ("data_pack", "流量包办理", "data", "2", "menu"),
    ("data_pack_month", "流量月包", "data_pack", "1", "service"),
    ("data_pack_day", "流量日包", "data_pack", "2", "service"),
    ("data_pack_night", "夜间流量包", "data_pack", "3", "service"),
    ("plan", "套餐办理", "root", "3", "menu"),
    ("plan_current", "当前套餐查询", "plan", "1", "service"),
    ("plan_change", "套餐变更", "plan", "2", "menu"),
    ("plan_change_5g", "5G套餐", "plan_change", "1", "service"),
    ("plan_change_family", "家庭融合套餐", "plan_change", "2", "service"),
    ("plan_change_agent", "套餐人工办理", "plan_change", "0", "agent"),
    ("plan_vas", "增值业务", "plan", "3", "menu"),
    ("plan_vas_list", "已订业务查询", "plan_vas", "1", "service"),
    ("plan_vas_ringtone", "彩铃设置", "plan_vas", "2", "service"),
    ("plan_vas_cancel", "业务退订", "plan_vas", "3", "service"),
    ("broadband", "宽带报障", "root", "4", "menu"),
    ("bb_fault", "故障报修", "broadband", "1", "menu"),
    ("bb_fault_offline", "无法上网报修", "bb_fault", "1", "service"),
    ("bb_fault_slow", "网速慢报修", "bb_fault", "2", "service"),
    ("bb_fault_agent", "宽带人工报障", "bb_fault", "0", "agent"),
    ("bb_progress", "报修进度查询", "broadband", "2", "service"),
    ("bb_install", "新装宽带预约", "broadband", "3", "service"),
    ("points", "积分兑换", "root", "5", "menu"),
    ("points_query", "积分查询", "points", "1", "service"),
    ("points_redeem", "积分兑换话费", "points", "2", "service"),
    ("account", "账户与安全", "root", "6", "menu"),
    ("acct_password", "服务密码重置", "account", "1", "service"),
    ("acct_suspend", "挂失与停开机", "account", "2", "service"),
    ("other", "其他业务", "root", "9", "menu"),
    ("other_roaming", "国际漫游", "other", "1", "service"),
    ("other_signal", "网络信号问题登记", "other", "2", "service"),
    ("agent", "人工服务", "root", "0", "agent"),
]

#: Keys with the same meaning in every menu (not nodes): "*" returns to the parent menu, "#" repeats the prompt.
GLOBAL_KEYS = {"*": "back", "#": "repeat"}

# --------------------------------------------------------------------------------------- complaint texts

LABELS = ["网络问题", "费用问题", "服务问题", "营销活动问题", "业务使用问题", "业务办理问题", "信息安全问题", "不知情定制问题"]

OPENINGS = [
    "客户反映", "用户来电表示", "客户来电投诉称", "机主反映", "{city}客户反映", "{segment}客户来电反映",
    "客户通过{channel_src}反映", "该客户来电称", "用户致电反映", "{city}{package}客户{phone_masked}反映",
    "客户再次来电反映", "客户本人来电表示",
]

DEMANDS = [
    "要求核实处理", "要求尽快解决", "要求给予合理解释", "要求退还相关费用", "要求上级部门跟进",
    "要求回电说明原因", "要求在{days}个工作日内答复", "要求赔偿损失", "要求查明原因并处理",
]

CLOSINGS = [
    "，请处理。", "，请尽快处理，谢谢。", "。客户情绪激动，请优先处理。", "，请后台协助处理。", "。",
    "，已向客户解释，客户不认可，请处理。", "，请相关部门核实后回复客户。", "，客户表示如不解决将向工信部申诉。",
    "，客户只在{time_window}方便接听电话，请处理。",
]

#: Class-neutral context clauses, inserted at random (so no class is recognisable by its sentence frame).
DETAILS = [
    "客户为在网{years}年的老用户", "客户称已多次来电反映", "此前已在营业厅咨询过", "经查询系统无异常记录",
    "客户使用{package}", "客户于{date}首次反映该问题", "客户表示非常不满", "客户要求书面答复",
    "一线已按流程解释", "经核实客户资料无误", "客户为{segment}客户", "客户称周围朋友也遇到类似问题",
]

# Class-specific bodies. Each may use any slot from SLOTS.
BODIES: dict[str, list[str]] = {
    "网络问题": [
        "{place}附近手机信号很差，通话经常中断，已持续{duration}",
        "在{place}室内无信号，打电话需要到室外才能接通",
        "{date}起{place}4G网络时断时续，上网速度只有几十K",
        "家中{place}5G信号时有时无，手机频繁切换到4G",
        "在{place}拨打电话经常提示不在服务区，周围用户也有同样情况",
        "乘坐地铁经过{place}一段时通话全部掉线",
        "{place}晚上{hour}点以后网速明显变慢，视频无法播放",
        "通话时对方听不清声音，有杂音和回声，换手机后问题依旧",
    ],
    "费用问题": [
        "{month}月份话费比平时多出{amount}元，客户对扣费有异议",
        "账户被扣除{amount}元{product}费用，客户称从未使用过",
        "办理{package}后本月仍按原资费收取，多扣{amount}元",
        "{date}充值{amount}元话费未到账，银行已扣款",
        "流量未超出套餐却产生{amount}元超套费用，对流量详单不认可",
        "出国回来后收到{amount}元国际漫游费用，客户称已关闭数据漫游",
        "宽带到期后仍在扣费，{month}月份被收取宽带费{amount}元",
        "套餐内通话分钟数未用完却产生语音超出费{amount}元",
    ],
    "服务问题": [
        "拨打10086人工服务排队超过{minutes}分钟无人接听",
        "营业厅工作人员态度恶劣，办理{package}时不耐烦",
        "此前投诉的问题承诺{days}天内回复，至今无人联系",
        "装维人员预约{date}上门，当天未到也未提前通知",
        "在{place}营业厅排队{minutes}分钟，窗口只开了一个",
        "客服人员解释前后不一致，对处理结果不满意",
        "多次来电反映同一问题，每次都说会处理但一直没有结果",
        "语音导航层级太多，按了很久也找不到要办理的业务",
    ],
    "营销活动问题": [
        "参加{activity}活动，承诺赠送的{gift}至今未到账",
        "营业员推荐{package}时称每月只收{amount}元，实际扣费更高",
        "{activity}活动预存{amount}元话费，返还金额与宣传不符",
        "办理{activity}送{gift}，领取时被告知活动已结束",
        "宣传单写明{package}前三个月免月租，实际从第一个月开始收费",
        "积分兑换{gift}后一直未收到，查询显示已发货",
        "参加{activity}时未告知需要在网{months}个月，现在无法变更套餐",
    ],
    "业务使用问题": [
        "手机收不到{bank}的验证码短信，影响正常使用",
        "宽带账号无法登录，光猫灯显示红色，已持续{duration}",
        "{product}无法正常使用，登录时提示系统错误",
        "开通的{package}流量无法使用，手机显示已用完",
        "手机无法发送短信，提示发送失败，接收正常",
        "家庭宽带每天{hour}点左右自动断网，重启光猫才能恢复",
        "来电显示功能失效，来电只显示未知号码",
        "设置的呼叫转移不生效，来电直接提示关机",
    ],
    "业务办理问题": [
        "在{place}营业厅办理{package}变更，至今未生效",
        "申请携号转网被告知有未结清合约，客户不认可",
        "网上营业厅办理{package}提交后一直显示处理中",
        "要求注销副卡，营业厅称需要机主本人到场，客户表示无法前往",
        "补办SIM卡时被要求提供多项证明材料，手续繁琐",
        "办理宽带移机已过去{days}天仍未安排上门",
        "申请开具{month}月份发票，系统提示无法打印",
        "实名登记信息有误，要求修改但营业厅无法办理",
    ],
    "信息安全问题": [
        "频繁收到{spam}类垃圾短信，已多次举报仍未停止",
        "号码被列入垃圾短信灰名单，无法发送短信，客户确认未群发",
        "每天接到多个{spam}骚扰电话，要求拦截",
        "个人信息疑似泄露，刚办理{package}就接到推销电话",
        "收到冒充10086的诈骗短信，要求积分兑换现金并附带链接",
        "手机号被他人用于注册{product}账号，客户本人不知情",
        "接到自称客服的电话，能准确说出客户姓名和套餐信息",
    ],
    "不知情定制问题": [
        "账户中出现{product}包月费用，客户称从未订购",
        "{month}月起每月被扣{amount}元{product}费，客户不知情",
        "手机被开通{product}业务，未收到任何确认短信",
        "查询发现订购了{product}和{product2}，客户表示未办理过",
        "营业员办理{package}时私自加开了{product}，客户不知情",
        "点击短信链接后被订购{product}，每月扣费{amount}元",
        "老人手机被定制多项增值业务，累计扣费{amount}元",
    ],
}

#: Bodies that honestly belong to two classes (ambiguous texts); the written label is one of the pair.
AMBIGUOUS_BODIES: list[tuple[str, str, str]] = [
    ("费用问题", "不知情定制问题", "账单中有{amount}元{product}费用，客户称不记得办理过，要求退费"),
    ("业务办理问题", "费用问题", "变更为{package}后仍按原套餐扣费，多收{amount}元"),
    ("营销活动问题", "不知情定制问题", "参加{activity}后被默认开通{product}，活动到期后继续扣费"),
    ("网络问题", "业务使用问题", "{place}家中宽带和手机上网都很慢，网页经常打不开"),
    ("服务问题", "业务办理问题", "营业厅办理{package}时工作人员操作错误，导致业务未生效"),
    ("信息安全问题", "业务使用问题", "号码被停止短信功能，称涉嫌发送垃圾短信，客户无法收发短信"),
    ("服务问题", "网络问题", "宽带故障报修后装维人员{days}天未上门，家中一直无法上网"),
    ("费用问题", "营销活动问题", "办理{activity}承诺的话费减免未生效，本月扣费{amount}元"),
]

SLOTS: dict[str, list[str]] = {
    "city": ["南京", "无锡", "苏州", "徐州", "郑州", "洛阳", "沈阳", "大连", "丹东", "铁岭", "济南", "青岛",
             "杭州", "温州", "合肥", "芜湖", "长沙", "株洲", "成都", "绵阳", "西安", "宝鸡", "昆明", "南宁"],
    "place": ["阳光花园小区", "人民路与中山路交叉口", "新城国际公寓", "滨江一号", "开发区工业园", "大学城东区",
              "火车站广场", "建设路菜市场", "锦绣家园3号楼", "万达广场地下车库", "城南高铁站", "翠湖天地",
              "幸福里小区", "金桥村", "北环路加油站", "实验小学附近", "第一人民医院住院部", "长江路步行街",
              "世纪城B区", "东湖公园"],
    "package": ["4G飞享套餐58元", "5G智享套餐128元", "全球通畅享套餐188元", "动感地带芒果卡", "神州行畅听卡",
                "家庭融合套餐199元", "5G畅享融合套餐", "4G自选套餐", "花卡宝藏版", "大王卡", "任我看视频包",
                "商务尊享套餐288元"],
    "product": ["咪咕视频会员", "和彩云", "彩铃", "手机报", "139邮箱", "来电提醒", "咪咕阅读包月", "游戏点播",
                "视频彩铃", "和留言", "手机视频", "彩印", "安全管家", "流量加油包"],
    "activity": ["存费送费", "充100送50", "老用户回馈", "5G升级礼包", "宽带免费提速", "购机送话费", "校园迎新",
                 "流量翻倍", "积分抽奖", "合约机优惠"],
    "gift": ["50元话费", "10GB流量", "电饭煲", "视频会员月卡", "蓝牙耳机", "100元购物券", "200积分", "移动电源"],
    "bank": ["工商银行", "建设银行", "招商银行", "农业银行", "中信银行", "支付宝", "微信支付", "12306"],
    "spam": ["贷款", "房产推销", "股票荐股", "保险推销", "中奖", "装修", "游戏推广", "教育培训"],
    "channel_src": ["10086热线", "网上营业厅", "微信公众号", "手机营业厅APP", "工信部申诉平台", "营业厅"],
    "segment": ["全球通", "动感地带", "神州行", "政企"],
    "time_window": ["中午", "下午五点以后", "周末", "晚上七点以后", "上午"],
}

#: Complaint channels written in complaints.csv ``channel``.
COMPLAINT_CHANNELS = ["10086热线", "网上营业厅", "手机营业厅APP", "营业厅", "微信公众号", "工信部申诉"]
COMPLAINT_CHANNEL_WEIGHTS = [0.55, 0.08, 0.15, 0.12, 0.07, 0.03]

#: IVR branch (first-level menu) → complaint class, for agent contacts derived from IVR transfers.
BRANCH_CAUSE = {
    "bill": "费用问题", "data": "业务使用问题", "plan": "业务办理问题", "broadband": "网络问题",
    "points": "营销活动问题", "account": "信息安全问题", "other": "网络问题", "agent": "服务问题",
}
