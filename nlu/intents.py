"""What a message wants, from cue phrases (English, Hinglish, Devanagari read as Hinglish).

Rules are tried in order; the first whose cue matches wins. Order lines found in the message
decide between "place an order" and the question intents (see `classify`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_B = r"(?<![a-z0-9])"  # word boundary that treats digits as word characters too
_E = r"(?![a-z0-9])"


def _cues(*phrases: str) -> re.Pattern[str]:
    return re.compile("|".join(f"{_B}(?:{p}){_E}" for p in phrases))


VISIT = _cues(r"visit(?:ed|ing)?", r"re-?visit", r"met (?:the )?owner", r"met \w+",
              r"log visit", r"visit done", r"beat")
REP_VISIT = _cues(r"collected", r"collection", r"took order", r"paid", r"shop closed",
                  r"no order", r"payment", r"cash liya", r"cheque", r"order liya",
                  r"dukaan band", r"dukan band")
RETURN = _cues(r"return\w*", r"wapa?s", r"wapis", r"vapa?s", r"vapis", r"waapas",
               r"take (?:it )?back", r"le ?jao", r"le jaao", r"le jaiye", r"lena padega",
               r"exchange", r"replace(?:ment)?", r"badal(?:na|ke|o| do)", r"rtv")
RETURN_REASON = _cues(r"expir\w*", r"damag\w*", r"broken", r"leak\w*", r"phat\w*", r"fat gay\w*",
                      r"pichk\w*", r"dent\w*", r"crush\w*", r"melt\w*", r"wrong", r"galat",
                      r"excess", r"extra aa\w*", r"zyada aa\w*", r"jyada aa\w*", r"toot\w*",
                      r"tut\w* (?:gay\w*|hu\w*)", r"kharab", r"sad gay\w*", r"defective")
CANCEL = _cues(r"cancel\w*", r"rehne do", r"rahne do", r"mat bhej\w*", r"nahi chahiye",
               r"nahin chahiye", r"nai chahiye", r"nahi bhejna", r"band karo order",
               r"no,?", r"nope", r"nahi", r"nahin", r"na", r"don'?t send", r"do not send",
               r"abort", r"stop order", r"order hatao", r"order mat", r"radd")
CANCEL_STRONG = _cues(r"cancel\w*", r"rehne do", r"rahne do", r"mat bhej\w*",
                      r"(?:nahi|nahin|nai) chahiye", r"don'?t send", r"do not send", r"radd")
STATUS = _cues(r"status", r"kab (?:tak )?(?:aaye?ga|aayegi|aaega|aaegi|ayega|ayegi|milega|"
               r"milegi|pahunche?ga|hogi|hoga|aa jayega|aayenge|bhejoge|aaenge|tak)",
               r"kab aa\w*", r"dispatch\w*", r"track\w*", r"deliver(?:ed|y)\??",
               r"where is my", r"kahan (?:hai|pahuncha)", r"kaha hai", r"nikl[ia]", r"nikla",
               r"eta", r"(?:order|maal|saman|samaan|delivery|parcel|gaadi|consignment)\b.*kya hua",
               r"invoice ban\w*", r"bill ban\w*", r"nahi aaya", r"nahi aaye",
               r"nahi mila", r"not (?:yet )?(?:received|delivered|arrived)", r"shipped",
               r"on the way", r"pahunch\w*", r"gaadi", r"gadi")
REORDER = _cues(r"same as (?:last|before|previous)", r"same order", r"repeat\w*", r"re-?order",
                r"dobara", r"dubara", r"phir se", r"fir se", r"firse", r"phirse",
                r"once more", r"again", r"wahi (?:bhej\w*|order|maal|saman|items)",
                r"pichli baar", r"pichhli baar", r"last time wala", r"usual order",
                r"hamesha wala")
LOYALTY = _cues(r"points?", r"rewards?", r"coins?", r"loyalty", r"redeem\w*", r"cashback")
STATEMENT = _cues(r"statement", r"ledger", r"hisa+b", r"khata", r"outstanding", r"balance",
                  r"soa", r"owe", r"payment pending", r"pending payment", r"kitna (?:payment )?"
                  r"(?:pending|baaki|baki|bakaya|dena)", r"baa?ki", r"bakaya", r"dues?",
                  r"transactions?", r"account", r"udhaar", r"udhar", r"credit limit")
SCHEMES = _cues(r"schemes?", r"offers?", r"discounts?", r"free goods", r"deals?", r"promo\w*",
                r"scheme\w*", r"yojana", r"chhoot", r"chhut", r"free me", r"kuch free")
RECOMMEND = _cues(r"suggest\w*", r"recommend\w*", r"kya naya", r"kya nayi?",
                  r"(?:naya|nayi|naye|new) (?:kya|launch\w*|aaya|aayi|maal|product|products|item|"
                  r"items|brand|brands|stock|cheez|saman|samaan)",
                  r"new (?:launch|launches|product|products|arrivals?|items?)", r"launch\w*",
                  r"best ?sell\w*", r"fast moving", r"sells? (?:most|best|fast)",
                  r"selling", r"should i (?:stock|order|buy|keep)", r"what to (?:stock|order)",
                  r"kya (?:order|mangau|mangaun|rakhu|rakhun|rakh|stock) kar\w*",
                  r"kya (?:mangau|mangaun|rakhu|rakhun)", r"kya order karu", r"trending",
                  r"popular", r"zyada bik\w*", r"jyada bik\w*", r"chal raha", r"chalta hai",
                  r"replenish\w*", r"restock\w*")
HELP = _cues(r"help", r"madad", r"menu", r"commands?", r"how (?:to|do i|can i)",
             r"kaise", r"kese", r"what (?:all )?can (?:you|this bot|the bot|it) do",
             r"kya kar sakte", r"guide", r"options",
             r"samjhao", r"instructions?", r"tutorial")
GREET = _cues(r"hi+", r"hello+", r"helo", r"hey+", r"hlo", r"namaste", r"namaskar", r"namaskaar",
              r"good (?:morning|afternoon|evening|day)", r"gm", r"ram ram", r"jai shree \w+",
              r"jai \w+ ki", r"salaam", r"salam", r"assalam\w*", r"sat sri akal", r"pranam",
              r"radhe radhe", r"jai jinendra")
CONFIRM = _cues(r"yes+", r"yess?", r"yeah", r"yep", r"haa?n?", r"haan ji", r"ha+n", r"ji haan",
                r"ok+", r"okay", r"okk", r"k", r"confirm\w*", r"done",
                r"th?(?:ee|i|e)k(?: h(?:ai|e)?)?", r"go ahead", r"sure", r"proceed", r"bhej do",
                r"bhejdo", r"kar do",
                r"perfect", r"correct", r"sahi hai", r"chalega", r"right", r"ji", r"y")
# said at any length, these still only confirm ("yes please confirm the order")
CONFIRM_STRONG = _cues(r"confirm\w*", r"go ahead", r"proceed", r"place (?:the |my )?order")
# the shop's own orders as a list ("my orders", "pending orders", "kitne order pending hain");
# only read when the message names no goods, so "my order: 2 cs coke" still orders
ORDER_LIST = _cues(r"(?:my|mere|meri|mera|hamare|hamara|all|pending|open|new|naye|nayi|recent|"
                   r"today'?s?|aaj ke) orders", r"my order", r"(?:kitne|kitna|kitni|how many) "
                   r"orders? (?:pending|baaki|baki|open|aaye?|aaye hain|hain)",
                   r"orders? (?:pending|baaki|baki)")
ORDERS_ALONE = re.compile(r"orders(?: list| dikhao| batao)?|order (?:list|dikhao|batao)")
PRICE_QUESTION = _cues(r"rate", r"rates", r"price", r"prices", r"kitne ka", r"kitne ki",
                       r"daam", r"dam kya", r"bhav", r"mrp kya", r"kya mrp", r"cost")


@dataclass(frozen=True)
class Signals:
    """What the rest of the parse already knows when choosing the intent."""

    has_items: bool  # at least one order line (a product with a quantity)
    mentions: int  # product mentions with or without quantity
    role: str = "retailer"


def is_visit(text: str, role: str) -> bool:
    if VISIT.search(text):
        return True
    return role == "rep" and bool(REP_VISIT.search(text))


def classify(text: str, signals: Signals) -> str:
    """Normalized text -> one of parse_result.INTENTS."""
    if not text.strip():
        return "out_of_scope"
    if is_visit(text, signals.role):
        return "log_visit"
    if RETURN.search(text) or (signals.has_items and RETURN_REASON.search(text)):
        return "return_request"
    if signals.has_items:
        # "10 box tiger pe scheme?", "4 cs fanta kab aayega?" ask about goods, not for them
        for pattern, intent in ((SCHEMES, "show_schemes"), (STATUS, "order_status")):
            if pattern.search(text) and not _orders_anyway(text):
                return intent
        return "place_order"
    words = text.split()
    short = len(words) <= 3
    if CANCEL_STRONG.search(text) or (short and CANCEL.search(text)):
        return "cancel"
    for pattern, intent in (
        (LOYALTY, "loyalty_points"),
        (STATEMENT, "statement_query"),
        (STATUS, "order_status"),
        (REORDER, "reorder_last"),
        (SCHEMES, "show_schemes"),
        (RECOMMEND, "recommend"),
    ):
        if pattern.search(text):
            return intent
    if ORDER_LIST.search(text) or ORDERS_ALONE.fullmatch(text.strip(" ?!.")):
        return "order_status"
    if HELP.search(text) and not (short and CONFIRM.fullmatch(text.strip(" ?!."))):
        return "help"
    if GREET.search(text) and (short or GREET.match(text)):
        return "greet"
    if signals.mentions and not PRICE_QUESTION.search(text):
        return "place_order"  # products named without quantities: the bot asks how many
    if CONFIRM_STRONG.search(text) or (CONFIRM.search(text) and len(words) <= 4):
        return "confirm"
    return "out_of_scope"


_ORDER_VERBS = _cues(r"bhej\w*", r"send", r"order karo", r"order kar do", r"chahiye", r"book",
                     r"need", r"de do", r"dedo", r"dena", r"please add", r"add karo",
                     r"bhijwa\w*", r"mangwa\w*")


def _orders_anyway(text: str) -> bool:
    return bool(_ORDER_VERBS.search(text))
