import "pe"
private rule p { condition: uint16(0) == 0x5a4d }
rule q { strings: $a = "x" $h = { 4D 5A ?? // c }
 } condition: (p and pe.imphash() == "x") or $a }
