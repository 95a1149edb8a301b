"""Words that name no product: chat verbs, politeness, pronouns, connectives (English and
Hinglish). A word the catalog knows ("up" in Thums Up, "plus" in Ambuja Plus) is never filler:
the item extractor asks the catalog first."""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


FILLER_WORDS = _words("""
liye liya lie lia wale vale waala hisab kitab sath saath bolo bola bataya
each har harek sabhi dono teeno every pratyek
sar sirji saab sahab saheb seth sethji
a an the of for to in on at by with from is are am be been was were it its this that these those
there here i me my mine we us our you your he she they them his her their please pls plz plzz
plss kindly send sent sending need needed want wants wanted require required give get got take
took taken book booked booking place placed add also again more some any all each every other
another same only just now today tomorrow tmrw tomorow yesterday asap urgent urgently fast quick
quickly soon order orders ordered ordering item items qty quantity following list below above
next new stock stocks supply deliver delivery delivered dispatch thanks thank thanku thx ty
regards sir madam mam maam ji bhai bhaiya bhaiyya boss dost friend hello hi hey hii namaste ok
okay yes no not dont do does did done can could would will shall should may might must have has
had having make made karo kar karna karni karne kardo kariye kijiye kijie krdo kro krna bhejo
bhej bhejna bhejdo bhejiye bhejiyega bhijwa bhijwao bhijwana bhijwado dena dedo de dijiye diya
diye di lena le lo leke lekar chahiye chahie chaiye chaahiye chahiyeh mangta mangna mangao
mangwana mangwao manga mangaya mangwaya maine mujhe mereko mere mera meri humko hume humein
hamara hamare hame apna apne aap aapka aapke tum tumhara hai hain ho hoga hogi honge tha thi hua
hui hue gaya gayi gaye gya gyi ka ki ke ko se mein mai main par pe tak bhi toh na aur ya ek wala
wali wale abhi jaldi kal parso aaj din subah shaam raat time jo wo woh ye yeh iss uss kuch sab
saara saare bahut zyada jyada kam thoda kripya shukriya dhanyavad dhanyawad theek thik accha
acha achha haan han ha haa nahi nahin nai mat bas total grand rate price cost amount rs rupees
payment paid pay cash collected collection cheque upi online due shop store dukaan dukan counter
godown warehouse party customer retailer distributor rep salesman salesperson asked asking said
says told tell telling owner expired expiry expire exp damaged damage broken leak leaking leaked
return returns returned returning wapas wapis vapas vapis waapas excess extra wrong galat
crushed dented melted torn phat phata phate phati pichka pichki pichke kharab tuta tuti toota
tooti fata fati fate jam patthar stone sealed seal unloading loading hisaab hisab statement
ledger account balance outstanding status kab kahan kaha kya kyu kyun kaise kitna kitne kitni
how what when where why which who whom whose much many st nd rd th pm hrs hr mins min visit
visited visiting met meet revisit closed open band khula bill invoice challan receipt gst beat
route snd thnx thnks tks maal saman samaan aaya aaye aayi jagah badle instead points point
reward rewards coins loyalty redeem scheme schemes offer offers discount discounts batao bataiye
batana bata dikhao dikha check show help menu
""")

# words saying the item is *not* wanted in this clause ("fanta mat bhejna", "sprite nahi")
NEGATIONS = frozenset({"mat", "nahi", "nahin", "nai", "dont", "don't", "without", "except",
                       "cancel", "hatao", "hata", "remove", "minus", "bina"})

# a clause recalling what was ordered before, not what is wanted now ("humne 2 litre manga tha")
RECALL_VERBS = frozenset({"manga", "mangaya", "mangwaya", "mangvaya", "magaya", "mangai",
                          "order", "ordered", "kiya", "diya", "bola", "likha"})
RECALL_TENSE = frozenset({"tha", "thi", "the", "thaa"})

BIG_WORDS = frozenset({"bada", "badi", "bade", "bara", "big", "bigger", "biggest", "large",
                       "larger", "jumbo", "maxi"})
SMALL_WORDS = frozenset({"chota", "chhota", "choti", "chhoti", "chote", "chhote", "small",
                         "smaller", "smallest", "mini"})

# a line starting with these sums up the lines before it
SUMMARY_WORDS = frozenset({"total", "totals", "grand", "kul", "sum", "subtotal"})

# a quantity said once for several products ("2 cs each", "do do peti sab")
EACH_WORDS = frozenset({"each", "har", "harek", "sab", "sabhi", "dono", "teeno", "all", "every",
                        "pratyek"})
