"""English lexicons, curated by hand for Hearth (no dataset text).

Format: entries separated by whitespace; words of a multi-word entry are joined by "_".
Entries match after normalisation (lower case, accents folded, leetspeak digits mapped,
repeated letters collapsed), so "1d10t", "IDIOOOT" and "idiot" are one entry.
"you're" is the two tokens "you re".
"""

# Insults aimed at people: nouns that are abusive on their own.
INSULT = """
idiot idiots moron morons imbecile imbeciles retard retards dumbass dumbasses asshole assholes
arsehole arseholes bitch bitches biatch cunt cunts twat twats wanker wankers prick pricks dickhead dickheads
shithead shitheads fuckface fucker fuckers motherfucker motherfuckers whore whores slut sluts hoe hoes
skank skanks douche douchebag douchebags jackass scumbag scumbags cocksucker cocksuckers bastard bastards
loser losers halfwit nitwit dimwit numbnuts knobhead bellend tosser pussy pussies
piece_of_shit pieces_of_shit piece_of_garbage son_of_a_bitch sons_of_bitches waste_of_space
waste_of_oxygen lowlife lowlifes degenerate degenerates simpleton cretin cretins
dipshit dipshits shitbag fatass fat_ass ugly_bitch stupid_bitch dumb_bitch stupid_cunt
"""

# Adjectives that are insults only when aimed at a person ("you are stupid", not "stupid update").
INSULT_ADJ = """
stupid dumb pathetic worthless ugly fat disgusting incompetent brainless clueless useless
retarded braindead moronic idiotic ignorant trash garbage scum clowns clown losers loser
"""
PERSON_PREFIX = """
you you_are you_re youre u u_r ur you_are_so you_re_so you_are_all you_re_all you_all_are you_guys_are
yall_are y_all_are you_are_such_a you_re_such_a you_are_a you_re_a you_are_an you_re_an such_a
shut_up you_stupid you_dumb you_fat you_ugly you_little you_people_are
"""

# Slurs and dehumanising language (hate / discrimination).
HATE = """
nigger niggers nigga niggas negro negroes coon coons jigaboo porch_monkey sand_nigger
faggot faggots fag fags dyke dykes tranny trannies shemale homo homos
kike kikes spic spics wetback wetbacks beaner beaners chink chinks gook gooks raghead ragheads
towelhead towelheads paki pakis camel_jockey white_trash cracker crackers mongoloid spastic spaz
subhuman subhumans sub_human vermin go_back_to_your_country go_back_to_africa go_back_where_you_came_from
send_them_back deport_them_all gas_the_jews heil_hitler white_power
"""

# Threats, incitement to self-harm, sexual harassment.
THREAT = """
kill_you kill_u i_will_kill i_ll_kill im_going_to_kill i_m_going_to_kill gonna_kill kill_yourself kill_urself
kys go_die hope_you_die hope_u_die you_should_die you_deserve_to_die hope_you_get_raped rape_you
rape_u i_will_rape i_know_where_you_live i_know_where_u_live beat_you_up beat_u_up beat_your_ass
shoot_you shoot_u stab_you stab_u burn_you_alive hang_you hang_yourself lynch lynched watch_your_back
you_re_dead you_are_dead you_will_pay slit_your_throat break_your_neck put_a_bullet
send_nudes show_me_your_tits suck_my_dick suck_my_cock
"""

# Profanity that is not aimed at anyone by itself.
PROFANITY = """
fuck fucking fucked fuckin fck fk fkn fcking effing frickin shit shitty shite bullshit
crap crappy damn goddamn dammit wtf stfu omfg pissed piss ass arse dick cock tits
screw_you fuck_you fuck_off fuck_u fuck_this screw_this
"""

# Harsh words about products or services: negative, but criticism, not abuse.
CRITICISM = """
worst terrible awful horrible useless broken broke sucks suck sucked garbage trash joke ridiculous
unacceptable disappointed disappointing disgrace shameful pathetic incompetent rip_off ripoff
scam fraud lousy mediocre unusable buggy laggy slow crash crashes crashed fail fails failed failure
nightmare disaster shambles rubbish never_again refund cancelled canceled delayed delay lost
"""

# Product / service vocabulary (brand-directed messages).
BRAND = """
service support customer customers app update version feature features order orders delivery
delivered package parcel shipping flight flights airline luggage baggage account login password
refund product products website site store shop bill billing invoice subscription price prices
staff agent team company helpdesk ticket bug bugs outage server servers internet wifi
phone network booking reservation hotel bank card payment charged charge
"""

SECOND_PERSON = "you u your ur yours youre yall"

SPAM = """
check_out_my_channel check_my_channel my_channel subscribe subscribe_to_my sub_to_my sub4sub
follow_me follow_back check_out_my check_out_this visit_my click_here click_the_link link_in_bio
free_money make_money earn_money earn_cash work_from_home giveaway win_a_free free_iphone
bitcoin crypto forex double_your promo_code discount coupon limited_offer
buy_now order_now dm_me whatsapp telegram onlyfans hot_singles xxx porn viagra casino
my_video my_videos my_page my_site my_website my_music my_new_song please_subscribe
"""

SUGGESTION = """
it_would_be_great it_would_be_nice would_be_great would_be_nice it_d_be_nice it_d_be_great
would_be_cool would_love_to_see would_like_to_see i_d_like_to_see i_would_like i_d_love
please_add please_allow please_make please_let please_consider please_support please_include
please_implement please_bring please_enable please_provide please_fix you_should_add you_should_make
you_should_allow you_should_have you_guys_should could_you_add can_you_add
why_not_add consider_adding feature_request i_wish wish_there_was wish_you_would wishlist
suggestion i_suggest we_suggest add_an_option add_the_option add_support allow_us_to allow_users_to
let_us let_users make_it_possible should_be_able_to need_the_ability needs_the_ability
needs_an_option needs_a_way there_should_be bring_back it_would_be_useful would_be_helpful
would_be_useful should_support should_allow should_provide should_have_an should_have_a
it_should_be_possible we_need_a we_need_an need_a_way provide_a provide_an
"""

QUESTION_START = """
how what why when where who which whom whose can could does do did is are was were will would
should anyone anybody is_there are_there how_do how_come
"""

PRAISE = """
love loved lovely thanks thank_you thx ty great awesome amazing excellent perfect fantastic brilliant
wonderful best well_done kudos congrats congratulations appreciate appreciated helpful superb
outstanding impressed bravo cheers nice_job good_job
"""
