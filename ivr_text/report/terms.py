"""Chinese names of the analyses' column names, so every report header (and spreadsheet header) reads
"中文 english_term": the Chinese for the manager, the column name for whoever opens the CSV.

:func:`bilingual` completes a header: a Chinese-only label gets the column name beside it, an English-only
label gets its Chinese from :data:`ZH`; a label that already has both is kept. Symbols understood in both
languages (``#``, ``AUC``, ``F1``, ``p``, ``z``, ``n``, ``ρ``) stay as they are.
"""

from __future__ import annotations

import re

#: column name → Chinese (the English term is the column name itself)
ZH = {
    # complaints / trends
    "term": "词语", "word": "词语", "token": "词语", "count": "次数", "count_now": "近期次数",
    "count_before": "此前次数", "share_now": "近期占比", "share_before": "此前占比", "log_odds": "对数几率比",
    "z": "z 值", "z_score": "z 值", "p_value": "p 值", "q_value": "q 值", "ratio": "倍数", "baseline": "基线",
    "period": "时间", "cause": "原因", "family": "根因族", "confidence": "置信度", "needs_review": "需复核",
    "text": "文本", "examples": "示例", "example": "示例", "significance": "显著性", "lift": "提升度",
    "first_seen": "首次出现", "documents": "文档数", "docs_now": "近期文档数", "docs_before": "此前文档数",
    "shift": "偏移", "kind": "类型", "id": "编号", "topic": "主题", "scope": "范围", "share": "占比",
    "coherence": "一致性", "top_words": "关键词",
    # evaluation
    "class": "类别", "precision": "精确率", "recall": "召回率", "f1": "F1", "f1-score": "F1", "support": "样本数",
    "method": "方法", "auc": "AUC", "auc_ci95": "AUC 95% 置信区间", "top_decile_lift": "前 10% 提升度",
    # churn
    "customer_id": "客户", "signal_score": "信号分", "warning_level": "预警等级", "phase": "阶段",
    "usage_change": "用量变化", "top_causes": "主要投诉原因", "reasons": "原因", "rank": "排名",
    "churn_probability": "流失概率", "feature": "特征", "contribution": "贡献", "value": "数值",
    "direction": "方向", "strength": "强度", "reason": "原因",
    # ivr
    "node": "节点", "label": "名称", "calls": "来电", "rate": "比例", "depth": "层级", "segment": "客户群",
    "hour": "小时", "weekday": "星期", "slot": "时段", "file": "文件", "rows": "行数",
    "type": "类型", "eligible": "达到最小量", "rate_lower": "比例下限 (Wilson)", "rank_by_count": "次数排名",
    "rank_by_rate": "比例排名", "peak_hours": "集中时段", "peak_hours_rate": "该时段比例",
    "other_hours_rate": "其他时段比例", "only_at_peak_hours": "仅在该时段突出", "action": "建议",
    "action_label": "建议", "current_position": "现位置", "proposed_position": "建议位置",
    "callers_affected": "受影响来电", "net_seconds_per_call": "每通净省秒数", "net_seconds_per_call_low": "净省下限",
    "option_seconds": "每选项秒数", "option_seconds_source": "秒数来源", "proposed": "调整为", "parent": "上级节点",
    "model_level": "模型等级", "periods_warned": "连续预警期", "feedback_in_peak_window": "近期投诉",
    "bill_rule_change": "账单较规则基线变化", "rules_fired": "触发规则", "explanation": "模型主要因素",
    "model_factors": "模型因素明细", "phase_label": "阶段", "cause_2": "第二原因", "confidence_2": "第二置信度",
    "rule_cause": "规则原因", "method": "方法", "hangups": "挂机", "transfer_requests": "在此要求转人工",
    "date": "日期", "customer": "客户", "call_id": "来电 ID", "caller": "主叫",
    "share_of_type": "同类占比", "menu": "菜单", "proposed_order": "建议顺序", "call_share": "来电占比",
    "hangup_rate": "挂机率", "transfer_request_rate": "在此要求转人工率", "net_seconds_total": "合计净省秒数",
    "keys_saved_per_caller": "每位来电者少按键数", "agent_transfers": "在此接入人工", "visits": "访问",
    "completions": "自助完成", "no_input": "无输入", "no_match": "误按", "loops": "重复进入",
    "mean_seconds": "平均秒数", "position": "顺序", "key": "按键", "usage": "用量", "usage_index": "用量指数",
    "usage_baseline": "用量基线", "feedback_count": "投诉/联系次数", "churned": "已流失", "score": "分数",
}

_CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
_LATIN = re.compile("[A-Za-z]")
#: headers understood in both languages
SYMBOLS = frozenset({"#", "AUC", "F1", "p", "z", "n", "ρ", "ID", "A−B"})


def bilingual(column: object, label: object) -> str:
    """``label`` with the missing language added: ``"次数" → "次数 count"``, ``"log_odds" → "对数几率比 log_odds"``."""
    col, lab = str(column), str(label)
    if lab in SYMBOLS:
        return lab
    has_zh, has_en = bool(_CJK.search(lab)), bool(_LATIN.search(lab))
    if has_zh and has_en:
        return lab
    if has_zh:
        return f"{lab} {col}" if _LATIN.search(col) and col != lab else lab
    zh = ZH.get(col) or ZH.get(lab) or ZH.get(lab.lower())
    if zh and zh != lab:
        return f"{zh} {lab}"
    return lab
