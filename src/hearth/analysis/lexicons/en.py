"""English lexicons, curated by hand for Hearth (no dataset text).

Format: entries separated by whitespace; words of a multi-word entry are joined by "_".
Entries match after normalisation (lower case, accents folded, leetspeak digits mapped,
repeated letters collapsed), so "1d10t", "IDIOOOT" and "idiot" are one entry.
"you're" is the two tokens "you re".
"""

# Insults aimed at people: nouns that are abusive on their own.
INSULT = """
idiot idiots moron morons imbecile imbeciles dumbass dumbasses asshole assholes
arsehole arseholes bitch bitches biatch cunt cunts twat twats wanker wankers prick pricks dickhead dickheads
shithead shitheads fuckface fucker fuckers motherfucker motherfuckers whore whores slut sluts hoe hoes
skank skanks douche douchebag douchebags jackass scumbag scumbags cocksucker cocksuckers bastard bastards
loser losers halfwit nitwit dimwit numbnuts knobhead bellend tosser pussy pussies
piece_of_shit pieces_of_shit piece_of_garbage son_of_a_bitch sons_of_bitches waste_of_space
waste_of_oxygen lowlife lowlifes degenerate degenerates simpleton cretin cretins
dipshit dipshits shitbag fatass fat_ass ugly_bitch stupid_bitch dumb_bitch stupid_cunt
dumbfuck fuckwit fucktard fucktards thot thots fatso lardass tub_of_lard pizza_face
nobody_likes_you no_one_likes_you everyone_hates_you everybody_hates_you nobody_wants_you
no_one_wants_you nobody_wants_you_here no_one_wants_you_here you_have_no_friends u_have_no_friends
no_one_cares_about_you nobody_cares_about_you you_disgust_me you_make_me_sick you_re_a_disgrace
such_a_creep you_re_a_creep you_are_a_creep such_a_freak you_re_a_freak you_are_a_freak
"""

# Nouns that insult only when aimed at someone ("you pig", "such a creep"), not on their own.
INSULT_NOUN = """
pig pigs cow whale rat rats snake weirdo weirdos virgin incel parasite parasites cracker crackers
"""
NOUN_PREFIX = """
you you_fat you_little you_stupid you_ugly you_dumb you_fucking you_absolute you_are_a you_re_a
you_are_such_a you_re_such_a u_r_a ur_a such_a you_are_all you_re_all you_guys_are
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
faggot faggots fag fags dyke dykes tranny trannies shemale
kike kikes spic spics wetback wetbacks beaner beaners chink chinks gook gooks raghead ragheads
towelhead towelheads paki pakis camel_jockey white_trash mongoloid spastic spaz
subhuman subhumans sub_human vermin go_back_to_your_country go_back_to_africa go_back_where_you_came_from
send_them_back deport_them_all gas_the_jews heil_hitler white_power
"""

# Threats, incitement to self-harm, sexual harassment.
THREAT = """
kill_you kill_u kill_yourself kill_urself
kys go_die hope_you_die hope_u_die you_should_die you_deserve_to_die hope_you_get_raped rape_you
rape_u i_will_rape i_know_where_you_live i_know_where_u_live beat_you_up beat_u_up beat_your_ass
shoot_you shoot_u stab_you stab_u burn_you_alive hang_you hang_yourself lynch lynched watch_your_back
you_re_dead you_are_dead you_will_pay slit_your_throat break_your_neck put_a_bullet
send_nudes show_me_your_tits suck_my_dick suck_my_cock
kill_ur_self kill_yourselves go_kill_yourself go_hang_yourself neck_yourself go_drink_bleach drink_bleach
slit_your_wrists go_cut_yourself jump_off_a_bridge jump_off_a_cliff nobody_would_miss_you
no_one_would_miss_you world_would_be_better_without_you do_us_a_favor_and_die die_in_a_fire
i_hope_you_die you_should_kill_yourself end_yourself unalive_yourself off_yourself rope_yourself go_rope
hope_you_get_cancer get_cancer_and_die i_will_find_you i_ll_find_you we_know_where_you_live
i_will_hurt_you i_ll_hurt_you i_m_going_to_hurt_you gonna_hurt_you i_ll_beat_you i_will_beat_you
gonna_beat_you punch_you i_ll_punch_you smash_your_face i_will_end_you i_ll_end_you murder_you
i_m_coming_for_you sleep_with_one_eye_open leak_your_nudes post_your_nudes
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

# A service that failed, told without any emotional word ("my order never arrived", "on hold for an
# hour", "the app keeps crashing"): to a brand's community manager that is a negative message.
# Generic to every trade (delivery, apps, devices, telecoms, banks, transport); resolved problems
# ("finally arrived") are not listed.
SERVICE_FAILURE = """
never_arrived never_received never_came never_showed_up never_delivered never_shipped not_delivered
not_been_delivered has_not_arrived have_not_arrived did_not_arrive not_arrived_yet still_not_arrived
have_not_received has_not_received did_not_receive not_received still_not_received did_not_get_my
never_got_my still_waiting waiting_for_weeks waiting_for_days waiting_for_hours waited_hours
waited_for_hours hours_on_hold on_hold been_on_hold still_no_refund no_refund never_refunded
waiting_for_a_refund waiting_for_my_refund refused_to_refund still_no_response still_no_reply
still_no_answer no_response no_reply no_one_answers nobody_answers no_one_responded nobody_responded
never_responded never_replied never_got_back never_called_back hung_up_on_me ignoring_me been_ignored
keeps_crashing keeps_freezing keeps_logging_me_out keeps_disconnecting keeps_dropping keeps_failing
keeps_buffering crashes_every stopped_working no_longer_works no_longer_working
does_not_work it_s_not_working it_is_not_working still_not_working not_working_again wo_not_work wo_not_load wo_not_open
wo_not_turn_on wo_not_let_me does_not_load not_loading will_not_load wo_not_charge not_charging
does_not_turn_on ca_not_log_in can_not_log_in cannot_log_in ca_not_login cannot_login ca_not_sign_in
cannot_sign_in unable_to_log_in unable_to_login unable_to_sign_in locked_out ca_not_access
cannot_access unable_to_access ca_not_connect cannot_connect unable_to_connect ca_not_get_through
cannot_get_through error_message error_code getting_an_error an_error_occurred something_went_wrong
payment_failed payment_declined card_declined transaction_failed charged_twice double_charged
overcharged wrongly_charged charged_me_twice hidden_fees account_suspended account_locked
account_blocked blocked_my_account blocked_my_card wrong_order wrong_item wrong_size missing_item
missing_items item_missing arrived_damaged arrived_broken lost_my_package lost_package lost_my_luggage
lost_luggage lost_my_bag lost_in_transit stuck_in_transit marked_as_delivered wrong_address
delivered_to_the_wrong still_broken broken_again still_down down_again outage site_is_down app_is_down
server_is_down website_is_down service_is_down system_is_down network_is_down internet_is_down
no_signal no_service no_internet no_wifi no_connection dropped_calls dropped_call
cancelled canceled got_cancelled got_canceled delayed hours_late hour_delay missed_my_connection
overbooked still_not_fixed not_fixed not_resolved unresolved still_no_update no_one_showed_up
nobody_showed_up never_showed
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
buy_cheap cheap_followers buy_followers free_followers get_followers more_followers buy_likes
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
should_be_able would_help it_would_help would_make_it would_be_better could_you_please can_you_please_add
need_support_for needs_support_for the_ability_to ability_to an_option_to option_to a_way_to allow_me_to
allow_developers allow_apps enable_us_to i_recommend we_recommend recommend_adding i_propose proposal
how_about_adding what_about_adding make_it_easier would_be_awesome would_be_ideal ideally should_include
should_add should_be_added should_be_made should_expose should_offer would_appreciate i_want_to_be_able
want_the_ability it_would_be_good would_be_good would_be_better_if i_would_love it_d_be_cool
"""

# More feature-request phrases, read by the intent rules only (no model feature, so the shipped
# heads need no retraining for them).
REQUEST = """
would_be_amazing would_be_handy would_be_a_great would_be_a_nice would_love_it_if would_love_a
would_love_an can_we_have can_we_get could_we_have could_we_get can_we_please could_you_make
can_you_make any_plans_to any_plans_for any_chance_of any_chance_you when_will_you_add
hope_you_add hoping_you_add give_us_the_option give_us_an_option give_us_a_way give_the_option
add_the_ability add_an_ability you_need_to_add you_guys_need_to needs_to_be_added should_be_an_option
"""

# Feature requests told in the imperative: these words count only as the message's first words
# ("Add a dark mode", "Allow us to export as CSV"; not "I added it", "they allow it"). Nouns that
# are also verbs ("support", "offer", "update") are left out: "Support never answered" is a complaint.
IMPERATIVE = """
add allow enable implement include introduce provide consider expose integrate bring_back
make_it make_the make_a let_us let_users give_us_a give_us_an give_us_the
"""

# Sarcasm marks: praise next to one of these is irony ("great, another outage 🙄"), read as negative.
SARCASM = """
🙄 😒 🙃 yeah_right thanks_for_nothing thanks_a_lot_for_nothing as_if not_that_i_m_surprised
"""

QUESTION_START = """
how what why when where who which whom whose can could does do did is are was were will would
should anyone anybody is_there are_there how_do how_come
"""

PRAISE = """
love loved lovely thanks thank_you thx ty great awesome amazing excellent perfect fantastic brilliant
wonderful best well_done kudos congrats congratulations appreciate appreciated helpful superb
outstanding impressed bravo cheers nice_job good_job is_fire so_fire straight_fire pure_fire
best_patch best_update love_it love_this
"""
