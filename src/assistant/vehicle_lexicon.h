// The words of the vehicle's functions and parts in English, Chinese and German (keywords.h
// says how they match), as data: one lexicon for the intent parser, which reads utterances, and
// the tool classifier and binder, which read apps' function definitions.
#pragma once

#include "fleetgate/assistant/keywords.h"

namespace fleetgate::assistant::lexicon {

// ---- Utterances and function definitions -----------------------------------------------------

inline const Words kOpen{{"open*", "pop"}, {"打开", "开启", "开"}, {"öffne*", "oeffne*", "auf", "aufmach*"}};
inline const Words kClose{{"close*", "shut"}, {"关闭", "关上", "关掉", "关"}, {"schließ*", "schliess*", "zu", "zumach*"}};
inline const Words kVent{{"vent*", "crack*", "tilt*", "a bit", "a little", "slightly"},
                         {"通风", "透气", "开一点", "开条缝", "开个缝", "留条缝", "留缝", "降一点", "下来一点", "下一点", "起翘", "翘起"},
                         {"lüft*", "spalt*", "kipp*", "ankipp*", "ein bisschen", "ein wenig", "ein stück*", "etwas"}};
inline const Words kOn{{"on", "start*", "enable*"}, {"打开", "开启", "启动", "开"},
                       {"an", "ein", "einschalt*", "anschalt*", "anmach*", "start*", "aktivier*"}};
inline const Words kOff{{"off", "stop*", "disable*"}, {"关闭", "关掉", "关上", "关", "停"},
                        {"aus", "ausschalt*", "ausmach*", "stopp*", "deaktivier*"}};

inline const Words kRearLeft{{"rear left", "back left", "left rear"}, {"左后"}, {"hinten links", "links hinten"}};
inline const Words kRearRight{{"rear right", "back right", "right rear"}, {"右后"}, {"hinten rechts", "rechts hinten"}};
inline const Words kPassenger{{"passenger*"}, {"副驾"}, {"beifahrer*"}};
inline const Words kDriver{{"driver*"}, {"主驾", "驾驶"}, {"fahrer*"}};

inline const Words kNavigate{{"navigate to", "take me to", "get me to", "directions to", "drive to", "go to", "head to",
                              "route to", "set the destination to", "set destination to", "set my destination to"},
                             {"导航到", "导航去", "导航至", "带我去", "带我到", "我要去", "我想去", "开车去", "去往",
                              "目的地设为", "目的地设置为", "目的地改为"},
                             {"navigiere zum", "navigiere zur", "navigiere zu", "navigiere nach", "navigation zum",
                              "navigation zur", "navigation nach", "fahre zum", "fahre zur", "fahre nach", "fahr zum",
                              "fahr zur", "fahr nach", "bring mich zum", "bring mich zur", "bring mich zu",
                              "bring mich nach", "route zum", "route zur", "route nach", "navi zum", "navi zur",
                              "navi nach", "zielführung zum", "zielführung zur", "zielführung nach", "ich will zum",
                              "ich will zur", "ich will nach", "ich möchte zum", "ich möchte zur", "ich möchte nach",
                              "ich muss zum", "ich muss zur", "ich muss nach"}};
// Going home, said without "to": the destination is the driver's home, named in their language.
inline const Words kGoHome{{"take me home", "navigate home", "drive home", "go home", "head home"},
                           {"回家"},
                           {"nach hause"}};
inline const Localized kHome{"home", "家", "Zuhause"};
inline const Words kPolite{{"please"}, {"吧", "谢谢"}, {"bitte"}};

inline const Words kTemperature{{"temperature*", "temp"}, {"温度"}, {"temperatur*"}};
inline const Words kDegrees{{"degree*", "celsius", "°"}, {"摄氏度", "度", "°"}, {"grad", "°"}};
inline const Words kSeat{{"seat*"}, {"座椅", "座位"}, {"sitz*", "fahrersitz*", "beifahrersitz*"}};
inline const Words kHeat{{"heat*", "warm*"},
                         {"加热"},
                         {"heiz*", "sitzheizung*", "fahrersitzheizung*", "beifahrersitzheizung*", "wärm*"}};
// Cooling to a temperature: "cool it down to 19".
inline const Words kCool{{"cool*"}, {"制冷", "降温"}, {"kühl*"}};
// "Turn on the heat": the climate control as drivers switch it. Kept out of kClimate, which also
// classifies apps' tools, where "heat" names seat heating as often as the cabin's.
inline const Words kHeatSwitch{{"heat"}, {}, {}};
inline const Words kClimate{{"air con*", "ac", "a/c", "aircon", "climate*", "heater", "heating", "hvac"},
                            {"空调", "暖风", "冷气"},
                            {"klima*", "heizung", "lüftung"}};
inline const Words kFrunk{{"frunk", "front trunk", "front boot"}, {"前备箱", "前备厢", "前舱"},
                          {"frunk", "vorderer kofferraum", "vorderen kofferraum", "fronthaube", "frontkofferraum*"}};
inline const Words kTrunk{{"trunk", "boot", "tailgate", "liftgate", "rear hatch", "hatchback"},
                          {"后备箱", "后备厢", "尾门", "尾箱"},
                          {"kofferraum*", "heckklappe*", "heckdeckel*"}};
// "Open the hatch" in a car is its trunk; an app's "acme_hatch" could be any hatch, so the word
// names the trunk in utterances only.
inline const Words kHatch{{"hatch"}, {}, {}};
inline const Words kChargePort{{"charge port", "charging port", "charger port", "charge flap", "charging flap", "charge door",
                                "charging door", "charger door"},
                               {"充电口", "充电盖", "充电门"},
                               {"ladeklappe*", "ladeanschluss*", "ladebuchse", "ladeport", "ladedeckel"}};
inline const Words kSunroof{{"sunroof*", "moonroof*", "sun roof", "panoramic roof"},
                            {"天窗"},
                            {"schiebedach*", "sonnendach*", "panoramadach*"}};
// German names the window in one compound word ("Beifahrerfenster"); the seat words inside it
// (beifahrer*, fahrer*) pick the window.
inline const Words kWindows{{"window*"}, {"车窗", "窗户", "窗"},
                            {"fenster*", "seitenscheibe*", "beifahrerfenster*", "fahrerfenster*", "seitenfenster*"}};
// A window goes down to open and up to close: "windows down", "Fenster hoch", "车窗降下来".
inline const Words kWindowDown{{"down", "lower", "drop"},
                               {"降", "摇下", "放下"},
                               {"runter", "herunter*", "runterlass*", "runtermach*"}};
inline const Words kWindowUp{{"up", "raise"}, {"升", "摇上"}, {"hoch", "rauf", "herauf*", "hochmach*", "hochfahr*"}};
inline const Words kWipers{{"wiper*"}, {"雨刷", "雨刮"}, {"scheibenwischer*", "wischer*"}};
inline const Words kAuto{{"auto*"}, {"自动"}, {"auto*"}};
inline const Words kFast{{"fast*", "high*", "max*", "full*"},
                         {"快", "高速", "最大"},
                         {"schnell*", "stark*", "hoch", "maximal*", "höchst*"}};
inline const Words kSlow{{"slow*", "low*", "gentle", "intermittent"},
                         {"慢", "低速", "间歇"},
                         {"langsam*", "leicht*", "niedrig*", "intervall*"}};
// A level named rather than numbered: the highest or the lowest the tool has.
inline const Words kHighest{{"highest", "max", "maximum", "full", "hottest", "top level", "all the way up"},
                            {"最高", "最大", "最热"},
                            {"höchst*", "hoechst*", "maximal*", "max", "maximum", "voll", "volle*"}};
// Seat heating levels by name, on the catalogue's scale of 1 to 3.
inline const Words kHighLevel{{"high"}, {"高档"}, {"hoch", "stark"}};
inline const Words kMediumLevel{{"medium", "mid"}, {"中档"}, {"mittel*", "mittler*"}};
inline const Words kLowLevel{{"low"}, {"低档"}, {"niedrig", "schwach"}};
// How far a window opens, when not fully.
inline const Words kHalf{{"halfway", "half way", "half"}, {"一半", "半开"}, {"halb*", "zur hälfte", "zur haelfte"}};
inline const Words kQuarter{{"a quarter", "quarter"}, {"四分之一"}, {"viertel*"}};
inline const Words kThreeQuarters{{"three quarter*", "three-quarter*"}, {"四分之三"}, {"dreiviertel*", "drei viertel*"}};
inline const Words kPercent{{"percent", "per cent", "%"}, {"%"}, {"prozent", "%"}};
// Chinese says the percent before the number ("百分之三十") and tenths with 成 ("三成", 30%).
inline const Words kPercentBefore{{}, {"百分之"}, {}};
inline const Words kTenths{{}, {"成"}, {}};
inline const Words kLowest{{"lowest", "min", "minimum"}, {"最低", "最小"}, {"niedrigst*", "minimal*", "min"}};
inline const Words kLights{{"light*", "headlight*", "headlamp*", "lamps", "high beam*"}, {"车灯", "大灯", "灯光", "灯"},
                           {"licht*", "scheinwerfer*", "lichthupe", "abblendlicht", "fahrlicht", "außenbeleuchtung"}};
// Lights inside the cabin: not the exterior lights the catalogue switches.
inline const Words kInteriorLights{{"interior*", "reading light*", "dome light*", "cabin light*", "map light*", "ambient*"},
                                   {"阅读灯", "氛围灯", "车内灯", "室内灯", "顶灯"},
                                   {"innenlicht*", "innenbeleuchtung*", "leselicht*", "leselampe*", "ambientebeleuchtung*"}};
inline const Words kFlash{{"flash*", "blink*"}, {"闪"}, {"lichthupe", "blink*", "aufblend*"}};
inline const Words kUnlock{{"unlock*"},
                           {"解锁", "开锁"},
                           {"entriegel*", "entriegle", "aufschließ*", "aufschliess*", "aufsperr*", "schließ* ... auf",
                            "schliess* ... auf", "sperr* ... auf"}};
inline const Words kLock{{"lock*"},
                         {"锁车", "上锁", "锁门", "锁上", "锁好", "落锁", "车锁", "锁一下"},
                         {"verriegel*", "verriegle", "abschließ*", "abschliess*", "zusperr*", "absperr*", "schließ* ... ab",
                          "schliess* ... ab", "sperr* ... ab", "sperr* ... zu"}};
inline const Words kMedia{{"music", "song*", "track*", "play*", "pause*", "resume", "skip*", "volume", "radio", "next", "previous",
                           "mute"},
                          {"音乐", "歌", "播放", "暂停", "下一首", "上一首", "下一曲", "上一曲", "音量", "切歌", "换一首", "换首",
                           "静音"},
                          {"musik*", "lied*", "titel*", "song*", "spiel*", "abspiel*", "pause*", "pausier*", "lautstärke*",
                           "nächst*", "vorherig*", "überspring*", "wiedergabe", "fortsetz*", "stumm*"}};
inline const Words kPrevious{{"previous*", "last song", "last track", "go back"}, {"上一首", "上一曲"}, {"vorherig*", "zurück"}};
inline const Words kNext{{"next*", "skip*"}, {"下一首", "下一曲", "切歌", "换一首", "换首"}, {"nächst*", "überspring*", "weiter"}};
inline const Words kPause{{"pause*", "stop"}, {"暂停", "停止"}, {"pause*", "pausier*", "stopp*", "anhalten", "halt* ... an"}};
inline const Words kPlay{{"play*", "resume", "music"}, {"播放", "继续", "音乐", "放"}, {"spiel*", "abspiel*", "musik*", "fortsetz*"}};
// Silence is volume 0 on the catalogue's scale ("0 (mute)").
inline const Words kMute{{"mute"}, {"静音"}, {"stumm*"}};
// Ending a mute: the volume to go back to is not in the request, so it is not a media call.
inline const Words kUnmute{{"unmute*"},
                           {"取消静音", "关闭静音", "解除静音"},
                           {"stummschaltung aus*", "stummschaltung aufheb*", "stummschaltung beend*"}};
inline const Words kVolume{{"volume"}, {"音量", "声音"}, {"lautstärke*"}};

inline const Words kCapabilities{{"what can you do", "what do you do", "help"},
                                 {"你能做什么", "你会什么", "能做什么", "你可以做什么", "帮助"},
                                 {"was kannst du", "hilfe"}};
inline const Words kGreeting{{"hello", "hi", "hey", "good morning", "good afternoon", "good evening"},
                             {"你好", "您好", "嗨", "早上好", "晚上好"},
                             {"hallo", "guten morgen", "guten tag", "guten abend", "servus", "moin", "grüß gott"}};

// ---- Function definitions only -----------------------------------------------------------------
// Names, descriptions and parameters of apps' tools: "setCabinTemperature", "Heckklappe_oeffnen".

// A tool that only reads or reports, whatever it names ("get_temperature_outside").
inline const Words kReadOnly{
    {"get*", "fetch*", "read*", "query*", "search*", "find*", "list*", "lookup", "look", "check*", "show*",
     "describe*", "status", "report*", "retrieve*", "estimate*", "forecast*", "weather", "outside", "outdoor*"},
    {"查询", "获取", "查看", "搜索", "状态", "天气", "读取"},
    {"abfrag*", "lies", "lesen", "hol*", "such*", "zeig*", "anzeig*", "status", "zustand", "wetter", "ermittl*"}};
// Verbs and parts that move the car's body: such a tool is refused unless it can be placed. Word
// forms are listed where a prefix would also find other words ("openai", "closest", "folder").
inline const Words kBodyVerbs{
    {"open", "opens", "opening", "opened", "close", "closes", "closing", "closed", "unlock*", "lock", "locks",
     "locking", "locked", "move", "moves", "moving", "raise*", "lower", "lowers", "lift", "lifts", "slide", "tilt*",
     "fold", "folds", "retract*", "pop", "release", "eject*", "unlatch*", "shut*", "actuate*"},
    {"打开", "关闭", "关上", "解锁", "开启", "升起", "降下", "移动", "弹开", "折叠", "收起"},
    {"öffn*", "oeffn*", "schließ*", "schliess*", "entriegel*", "verriegel*", "beweg*", "aufmach*", "zumach*",
     "ausfahr*", "einfahr*", "anheb*", "absenk*", "klapp*", "auf", "zu"}};
inline const Words kBodyParts{
    {"door*", "hatch*", "window*", "roof*", "lid", "lids", "gate", "gates", "liftgate*", "tailgate*", "trunk*", "boot",
     "hood", "bonnet*", "flap*", "cover", "mirror*", "latch*", "glass", "frunk*", "sunroof*", "tonneau", "ramp*"},
    {"门", "窗", "盖", "车顶", "舱", "后视镜", "后备箱", "尾门"},
    {"tür*", "tuer*", "klappe*", "haube*", "fenster*", "dach*", "deckel*", "spiegel*", "heckklappe*",
     "kofferraum*", "scheibe*", "luke*"}};

// Nouns that name a function in a tool's name, beyond the intent parser's (which reads requests).
inline const Words kNavigation{{"navigat*", "navigation", "destination*", "route*", "directions", "navi", "nav"},
                               {"导航", "目的地", "路线"},
                               {"navi*", "ziel*", "route*", "zielführung"}};
inline const Words kMediaNouns{{"music", "song*", "track*", "media", "playback", "player", "radio", "audio", "volume",
                                "podcast*", "spotify"},
                               {"音乐", "歌", "媒体", "播放", "音量", "电台"},
                               {"musik*", "lied*", "titel*", "medien", "wiedergabe", "lautstärke*", "lautstaerke*", "radio",
                                "audio"}};
inline const Words kDoorLocks{{"lock*", "unlock*", "door lock*", "central locking"},
                              {"锁", "解锁"},
                              {"verriegel*", "entriegel*", "zentralverriegelung*", "schloss", "türschloss*"}};
inline const Words kFrunkNouns{{"frunk", "front trunk", "front boot"}, {"前备箱", "前舱"},
                               {"frunk", "vorderer kofferraum", "vorderen kofferraum", "fronthaube", "frontkofferraum*"}};
// Verbs that set something: a name with one is not read-only even if it also says "status".
inline const Words kWriteVerbs{
    {"set*", "turn*", "adjust*", "change*", "control*", "toggle*", "start*", "stop*", "enable*", "disable*",
     "activate*", "switch*", "play*", "pause*", "navigate*", "open*", "close*", "lock*", "unlock*", "vent*",
     "flash*", "update*", "apply*", "make", "put", "raise*", "lower*", "move*"},
    {"设置", "调", "打开", "关闭", "开启", "启动", "播放", "暂停", "导航", "锁", "解锁", "开", "关"},
    {"setz*", "stell*", "einstell*", "schalt*", "öffn*", "oeffn*", "schließ*", "schliess*", "start*", "stopp*",
     "aktivier*", "deaktivier*", "spiel*", "navigier*", "verriegel*", "entriegel*", "mach*", "regel*", "änder*"}};
// Objects of "open"/"close" that are not the car: open_url is the app's business.
inline const Words kNotTheCar{{"url*", "link*", "app*", "file*", "page*", "website*", "browser*", "tab*", "menu*",
                               "settings", "document*", "session*", "chat*", "account*", "ticket*", "dialog*", "window manager"},
                              {"网页", "链接", "应用", "文件", "菜单", "设置"},
                              {"seite*", "datei*", "anwendung*", "menü*", "einstellungen", "sitzung*"}};

// Parameters, by what they hold.
inline const Words kTemperatureParam{{"temp*", "celsius", "fahrenheit", "degree*", "°c", "°f", "c", "f", "thermostat*"},
                                     {"温度", "度"},
                                     {"temperatur*", "grad"}};
inline const Words kFahrenheit{{"fahrenheit", "°f", "f", "deg f", "degf", "temp f", "degrees f"},
                               {"华氏"},
                               {"fahrenheit", "°f"}};
inline const Words kCelsius{{"celsius", "centigrade", "°c", "c", "deg c", "degc"}, {"摄氏"}, {"celsius", "°c"}};
inline const Words kUnitParam{{"unit*", "scale"}, {"单位"}, {"einheit*"}};
inline const Words kFraction{{"fraction*", "ratio", "0 1", "0 to 1", "0.0", "1.0", "between 0 and 1"},
                             {"比例", "比率"},
                             {"anteil*", "bruchteil*"}};
inline const Words kPercentParam{{"percent*", "pct", "%", "position*", "openness", "opening", "amount", "travel",
                                  "how far", "degree", "level"},
                                 {"百分比", "开度", "位置", "%"},
                                 {"prozent*", "öffnung*", "oeffnung*", "position*", "stellung*"}};
inline const Words kLevelParam{{"level*", "intensity", "setting*", "heat*", "strength", "power", "stage", "mode",
                                "speed*", "temp*"},
                               {"档", "等级", "强度", "级", "速度", "模式"},
                               {"stufe*", "intensität", "stärke", "leistung", "modus", "level*", "geschwindigkeit*"}};
inline const Words kVolumeParam{{"volume*", "loudness"}, {"音量", "声音"}, {"lautstärke*", "lautstaerke*"}};
inline const Words kDestinationParam{{"destination*", "address*", "place*", "location*", "query", "target*", "poi",
                                      "dest", "where", "to"},
                                     {"目的地", "地址", "地点", "位置"},
                                     {"ziel*", "adresse*", "ort*"}};
inline const Words kPlaceParam{{"zone*", "seat*", "window*", "side*", "which", "position*", "location*", "target*",
                                "door*"},
                               {"座椅", "座位", "车窗", "区域", "位置", "窗"},
                               {"zone*", "sitz*", "fenster*", "seite*", "platz*"}};
inline const Words kOnParam{{"on", "enable*", "power*", "active", "state", "switch*", "turn on", "is on", "running"},
                            {"开关", "打开", "开启"},
                            {"an", "ein", "aktiv*", "eingeschaltet", "schalter"}};
inline const Words kLockedParam{{"lock*", "locked", "secure*"}, {"锁", "上锁"}, {"verriegel*", "gesperrt", "sperr*"}};
inline const Words kOpenParam{{"open*", "is open", "opened"}, {"打开", "开启"}, {"offen", "öffn*", "oeffn*", "auf"}};
inline const Words kActionParam{{"action*", "command*", "cmd", "operation*", "op", "do", "state", "mode", "direction"},
                                {"操作", "动作", "指令"},
                                {"aktion*", "befehl*", "vorgang", "modus"}};
// Enum values of places a call names: front/left seats are the driver's (left-hand drive).
inline const Words kFrontLeft{{"front left", "left front", "fl", "driver*", "left"}, {"主驾", "驾驶", "左前"},
                              {"fahrer*", "vorne links", "links vorne", "links"}};
inline const Words kFrontRight{{"front right", "right front", "fr", "passenger*", "right"}, {"副驾", "右前"},
                               {"beifahrer*", "vorne rechts", "rechts vorne", "rechts"}};
inline const Words kRearLeftValue{{"rear left", "back left", "left rear", "rl"}, {"左后"},
                                  {"hinten links", "links hinten", "fond links"}};
inline const Words kRearRightValue{{"rear right", "back right", "right rear", "rr"}, {"右后"},
                                   {"hinten rechts", "rechts hinten", "fond rechts"}};
inline const Words kAllValue{{"all", "every*", "both", "whole", "entire"}, {"所有", "全部", "全车"}, {"alle*", "beide", "gesamt"}};
// Enum values of levels and speeds.
inline const Words kMediumValue{{"medium", "mid*", "normal"}, {"中"}, {"mittel*", "normal"}};
inline const Words kOffValue{{"off", "none", "zero", "0", "disabled"}, {"关", "关闭", "无"}, {"aus", "null", "keine"}};
inline const Words kAutoValue{{"auto*", "rain sensing", "sensor"}, {"自动"}, {"auto*"}};
inline const Words kLowValue{{"low*", "slow*", "gentle", "intermittent", "min*", "1"}, {"低", "慢"},
                             {"niedrig*", "langsam*", "leicht*", "schwach*", "intervall*"}};
inline const Words kHighValue{{"high*", "fast*", "max*", "full", "strong*"}, {"高", "快", "最大"},
                              {"hoch", "hohe*", "schnell*", "stark*", "maximal*"}};
// Media and lights commands as enum values.
inline const Words kPlayValue{{"play*", "resume", "start"}, {"播放", "继续"}, {"spiel*", "abspiel*", "fortsetz*", "wiedergabe"}};
inline const Words kPauseValue{{"pause*", "stop"}, {"暂停", "停止"}, {"pause*", "pausier*", "stopp*", "anhalt*"}};
inline const Words kNextValue{{"next*", "skip*", "forward"}, {"下一"}, {"nächst*", "naechst*", "weiter", "überspring*"}};
inline const Words kPreviousValue{{"prev*", "back", "last"}, {"上一"}, {"vorherig*", "zurück", "zurueck"}};
inline const Words kFlashValue{{"flash*", "blink*"}, {"闪"}, {"lichthupe", "blink*", "aufblend*"}};
// Window directions some apps use: a window goes down to open.
inline const Words kDownValue{{"down", "lower*"}, {"降", "下"}, {"runter", "ab", "senk*"}};
inline const Words kUpValue{{"up", "raise*"}, {"升", "上"}, {"hoch", "rauf", "heb*"}};

}  // namespace fleetgate::assistant::lexicon
