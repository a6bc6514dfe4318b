"""Vocabulary of the moderation-policy detectors (docs/analysis.md, "Moderation policy").

Curated by hand for Hearth, French and English together (no dataset text). Same format as the
other lexicons: entries separated by whitespace, words of a phrase joined by "_", matched after
normalisation (lower case, accents folded, elisions split: "t'es" = "t es", "n't" = "not",
leetspeak and repeated letters collapsed). None of these entries is abuse on its own: the
detectors of :mod:`hearth.analysis.detectors` combine them (a violent verb *aimed at a person*, an
address *plus* a call to act, a protected group *plus* an exclusion), so that "I'm going to kill
this bug" or "je vais tuer ce boss" stay ordinary.
"""

# Verbs of violence. A threat needs a person or place aimed at within a few tokens.
VIOLENT_VERB = """
kill killing murder stab strangle choke burn torch stomp lynch rape beat_up hunt_down hurt attack
attacking torture slaughter eradicate exterminate hang_him hang_her hang_them hang_you hang_em
hang_the put_an_end_to snap_the_neck snap_the_necks
cut_their_throats slit_their_throats gas drown execute die_a_horrible_death end_every end_their_lives
noyer executer mettre_fin_a_la_vie
tuer tue buter bute frapper cogner tabasser defoncer defonce massacrer egorger etrangler
poignarder bruler cramer faire_sauter faire_la_peau violer casser_la_gueule peter_la_gueule
exploser saigner lyncher torturer massacrer exterminer extermine extermines pendre_haut_et_court attaquer
faire_souffrir briser_le_cou trancher_la_gorge gazer
"""

# Violent verbs aimed only when a group or staff follows ("shoot those women"; not "shoot me an email").
# "hang" alone is mostly the telephone's ("a hang up by the manager", "I'll hang on").
VIOLENT_WEAK = "shoot shooting beat punch slap smash bash hang tirer abattre buter"

# Who a threat, a sexual remark or doxxing can be aimed at: pronouns, staff, places of the brand.
TARGET = """
you u ya him her them em xxuser
mod mods moderator moderators admin admins staff employee employees agent agents manager
community_manager cm intern support_guy support_girl cashier driver drivers rider courier
modo modos moderateur moderatrice moderateurs employe employee employes employees conseiller
conseillere conseillers caissier caissiere livreur livreurs stagiaire responsable gerant gerante
store shop warehouse office offices hq headquarters branch restaurant factory house home family kids
magasin boutique entrepot bureau bureaux siege agence usine maison famille enfants gosses
"""

# French object pronouns: a target when right before the verb ("je vais le tuer", "on va vous cramer").
TARGET_BEFORE = "te t vous lui leur les le la l"

# Veiled threats: a consequence promised without saying what it is.
VEILED_THREAT = """
make_you_pay make_him_pay make_her_pay
make_them_pay make_u_pay end_you we_know_where_your i_know_where_you_live i_know_where_u_live
we_know_where_you_live je_sais_ou_tu_habites on_sait_ou_tu_habites je_sais_ou_t_habites
je_connais_ton_adresse on_connait_ton_adresse we_know_where_you i_know_where_your
we_know_where_the i_know_where_the we_know_who_you_are i_know_who_you_are we_know_your_address
i_know_your_address your_days_are_numbered watch_your_staff would_be_a_shame_if
be_a_shame_if_something we_re_coming_for we_are_coming_for i_m_coming_for i_ll_be_waiting_outside
see_you_after_your_shift nobody_is_safe no_one_is_safe count_your_days we_will_find_you
we_ll_find_you on_sait_ou_se_trouve on_sait_ou_est je_sais_ou_se_trouve je_sais_ou_est on_sait_ou_vous
je_sais_ou_vous on_sait_ou_travaille je_sais_ou_travaille on_sait_qui_vous_etes je_sais_qui_tu_es
on_sait_qui_tu_es je_sais_qui_vous_etes vos_jours_sont_comptes tes_jours_sont_comptes
ce_serait_dommage_qu_il on_va_passer_vous_voir on_va_vous_trouver on_va_vous_retrouver
personne_n_est_a_l_abri on_va_vous_faire_payer je_vais_vous_faire_payer on_va_le_faire_payer
on_va_la_faire_payer
"""

# Half a veiled threat: a threat when two of them meet ("keep deleting my posts ... you'll regret it",
# "keep banning me and find out"; alone, "go to check in and find out I have no seat" is not one).
VEILED_SOFT = """
and_find_out and_you_ll_find_out find_out_what_happens see_what_happens you_will_regret you_ll_regret you_re_going_to_regret you_re_gonna_regret
you_ll_be_sorry you_will_be_sorry watch_yourself accidents_happen something_bad_will_happen
last_warning we_ll_be_waiting see_you_after_work et_vous_verrez et_tu_verras vous_allez_voir
tu_vas_voir vous_allez_le_regretter vous_le_regretterez tu_le_regretteras vous_allez_regretter
tu_vas_regretter faites_attention_a_vous fais_attention_a_toi dernier_avertissement
il_pourrait_arriver on_viendra on_va_venir on_vous_attend on_t_attend attendez_vous_a
keep_deleting keep_banning keep_censoring delete_my deleting_my delete_one_more ban_me banned_me
block_me blocked_me censor_me censoring_me continuez_a_supprimer continuez_de_supprimer
supprimez_encore supprimer_mes supprimez_mes supprime_mes censurer censurez me_bannir m_avez_banni
m_avez_bloque
"""

# Weapons, as words or emoji: a threat when aimed at a person or a place.
WEAPON = "🔪 🔫 💣 🪓 🗡 ⚰ 🧨 flingue kalash"

# Personal information about someone: an address, a number, a profile, where they live or work.
# Third person only: "your phone number", "the phone number the gate gave me" are customer service.
PII = """
her_address his_address their_address home_address personal_address her_number his_number
her_phone his_phone her_phone_number his_phone_number her_instagram his_instagram her_insta his_insta her_facebook
his_facebook her_linkedin his_linkedin her_tiktok his_tiktok her_twitter his_twitter her_snap
his_snap her_real_name his_real_name her_full_name his_full_name lives_in lives_at she_lives he_lives
where_she_lives where_he_lives where_they_live works_at she_works he_works her_dms his_dms
her_profile his_profile found_her found_his doxx doxxed dox leak_her leak_his
son_adresse adresse_perso adresse_personnelle son_numero son_num son_tel son_telephone son_06
son_07 son_insta son_instagram son_facebook son_fb son_linkedin son_tiktok son_snap son_twitter
son_vrai_nom son_nom_complet elle_habite il_habite habite_a habite_au habite_rue elle_vit
il_vit ou_elle_habite ou_il_habite elle_travaille il_travaille travaille_a travaille_chez
ses_dm ses_mp son_profil son_compte_perso
instagram_com facebook_com linkedin_com tiktok_com
"""

# A call to act on someone ("go say hi", "allez lui rendre visite", "everybody spam her dms").
CALL_TO_ACT = """
go_say_hi go_visit pay_her_a_visit pay_him_a_visit pay_them_a_visit visit_her visit_him
go_see_her go_see_him call_her call_him text_her text_him dm_her dm_him message_her message_him
tell_her tell_him spam_her spam_him flood_her flood_his flood_her_dms everybody_go everyone_go
let_s_all let_s_go show_up everybody_call everyone_call go_spam go_flood go_tell you_know_what_to_do
do_your_thing
allez_lui allez_leur allez_tous allez_y rendez_lui_visite rendre_visite lui_rendre_visite
appelez_la appelez_le appelez_les ecrivez_lui harcelez harcelez_la harcelez_le spammez spammez_la
spammez_le inondez tout_le_monde_va on_y_va vous_savez_quoi_faire passez_lui passez_la_voir
passez_le_voir dites_lui faites_lui
"""

# Calls to brigade: mass reporting, raiding, flooding a page or a person.
BRIGADE = """
mass_report everyone_report everybody_report report_this_page report_their_page report_this_account
report_her report_him report_them report_them_all report_until let_s_report go_report
raid raid_their raid_this brigade let_s_raid flood_their flood_this spam_their spam_this
spam_their_page get_them_banned get_her_banned get_him_banned take_them_down take_this_page_down
review_bomb share_everywhere make_this_go_viral
signalez signalez_les signalez_la signalez_le signalez_leur signaler_en_masse signalement_en_masse
tout_le_monde_signale tout_le_monde_signalez faites_tourner on_les_fait_tomber faisons_les_tomber
faire_tomber_leur on_les_signale raid_sur spammez_leur inondez_leur allez_tous_commenter
allez_tous_les allez_tous_lui
"""

# Mass-call words: brigading needs one of these next to a reporting/raiding verb.
MASS = """
everyone everybody all_of_you y_all yall let_s we_all guys share retweet rt
tout_le_monde tous toutes allez_y faites_tourner partagez on_y_va
"""

# Sexual remarks: strong ones are harassment on their own; soft ones need a second cue or staff.
SEXUAL_STRONG = """
send_nudes send_me_nudes nudes what_are_you_wearing what_r_u_wearing show_me_your_body
show_us_your show_me_your sit_on_my sit_on_my_face i_d_tap i_would_tap i_d_smash would_smash
bend_her_over bend_you_over your_tits her_tits her_boobs your_boobs her_ass your_ass nice_ass
envoie_des_nudes envoie_nudes des_nudes montre_tes_seins montre_ton_corps montre_ton_cul t_es_bonne
tu_es_bonne elle_est_bonne la_meuf_est_bonne tes_seins ses_seins ton_cul son_cul je_la_baiserais
je_te_baiserais tu_suces elle_suce je_veux_te_voir_nue
"""
SEXUAL_SOFT = """
are_you_single is_she_single u_single you_single babe sweetheart cutie sexy is_hot so_hot
she_s_hot hottie send_a_pic send_me_a_pic send_me_her_pic send_pics send_a_photo send_me_a_photo
send_me_her her_pic her_picture her_photo date_me go_out_with_me marry_me give_me_your_number
t_es_en_couple tu_es_en_couple elle_est_en_couple t_es_celibataire tu_es_celibataire la_miss
ma_belle ma_jolie ma_puce ma_cherie mignonne t_es_mignonne t_es_canon t_es_une_bombe
envoie_une_photo envoie_moi_une_photo envoie_moi_ta_photo envoie_ta_photo ton_06 ton_snap
sors_avec_moi epouse_moi
"""
# Staff and the person behind the account ("la miss du service client", "the girl from support").
STAFF = """
support customer_service customer_support service_client service_apres_vente sav hotline
agent agents staff employee cashier moderator mod community_manager cm the_girl_from the_lady_from
the_guy_from girl_from lady_from la_fille_du la_meuf_du la_nana_du la_conseillere le_conseiller
la_caissiere la_vendeuse la_moderatrice la_cm conseillere vendeuse caissiere
"""

# Protected groups, named without a slur.
GROUP = """
women woman girls females muslims muslim islam jews jewish blacks black_people black_folks
gays gay_people gay_men lesbians homosexuals trans trans_people transgender transgenders
immigrants immigrant migrants migrant refugees refugee foreigners arabs asians mexicans
disabled disabled_people the_disabled handicapped retarded_people people_like_that people_like_them
people_like_you those_people these_people their_kind your_kind that_kind_of_people
femmes les_femmes filles musulmans musulmanes les_musulmans juifs juives les_juifs noirs noires
les_noirs homos homosexuels gays lesbiennes les_gays trans transgenres les_trans immigres
immigrees immigrants migrants les_migrants refugies les_refugies etrangers les_etrangers arabes
les_arabes asiatiques roms gitans handicapes les_handicapes ces_gens ces_gens_la ce_genre_de_gens
les_gens_comme_ca les_gens_comme_eux des_gens_comme_ca leur_espece leur_race cette_race
"""

# What turns a group mention into hate: exclusion, dehumanisation, denigrating generalisation,
# said after the group ("women shouldn't be allowed", "les migrants sont des parasites").
HATE_PREDICATE = """
should_not_be_allowed shouldnt_be_allowed should_be_banned should_be_deported should_be_removed
should_be_kicked_out should_go_back should_leave should_not_exist should_not_have_rights
should_not_vote should_not_work do_not_belong don_t_belong have_no_place has_no_place
are_not_welcome aren_t_welcome not_welcome_here are_animals are_vermin are_parasites are_rats
are_cockroaches are_a_disease are_a_plague are_a_cancer are_cancer are_subhuman are_scum are_trash
are_garbage are_filth are_disgusting are_inferior are_all_criminals are_all_terrorists
are_criminals are_terrorists are_all_rapists are_rapists are_all_thieves are_thieves
are_all_the_same are_a_burden are_worthless are_stupid are_all_stupid are_dangerous are_a_threat
are_a_danger are_lazy are_the_worst are_less_than should_all_die must_die should_die
deserve_to_die kill_them_all wipe_them_out can_not_be_trusted cannot_be_trusted shouldn_t_work
should_not_work_with are_not_human not_real_people are_a_mistake ne_devraient_pas_avoir_le_droit
ne_devraient_pas_etre_autorises n_ont_rien_a_faire n_ont_pas_leur_place n_ont_rien_a_faire_ici
devraient_etre_interdits devraient_etre_expulses sont_des_animaux sont_des_betes sont_des_rats
sont_des_parasites sont_des_cafards sont_de_la_vermine sont_une_maladie sont_un_cancer
sont_une_plaie sont_des_dechets sont_des_ordures sont_des_sous_hommes sont_inferieurs
sont_tous_des sont_toutes_des sont_tous_des_criminels sont_des_criminels sont_des_terroristes
sont_des_voleurs sont_tous_pareils sont_toutes_pareilles sont_degoutants sont_degoutantes
sont_debiles sont_stupides sont_dangereux sont_dangereuses sont_un_danger sont_une_menace
sont_un_fardeau sont_inutiles sont_des_moins_que_rien doivent_mourir devraient_mourir
meritent_de_mourir faut_tous_les_tuer ne_sont_pas_humains pas_des_humains ne_sont_pas_des_humains
ne_devraient_pas_travailler
ought_to_be_executed should_be_executed should_be_shot should_be_hanged should_be_drowned
should_be_burned should_be_burnt should_be_gassed should_be_exterminated would_all_be_dead
should_all_be_dead better_off_dead are_not_worth_shit not_worth_shit lives_are_worthless
lives_do_not_matter lives_should_not_matter lives_should_not_be_important
devraient_etre_executes devraient_etre_executees devraient_etre_brules devraient_etre_brulees
devraient_etre_pendus devraient_etre_fusilles devraient_etre_extermines meritent_d_etre_executes
valent_moins_que ne_valent_pas_mieux ne_vaut_pas_un_clou ne_valent_rien ne_comptent_pas
get_rid_of_them get_rid_of_all send_them_back send_them_all_back deport_them kick_them_out
ban_them_all throw_them_out keep_them_out all_should_die dehors hors_de_france renvoyez_les
renvoyez_les_chez_eux renvoyer_chez_eux qu_ils_rentrent_chez_eux rentrez_chez_vous expulsez_les
expulsez_les_tous virez_les il_faut_les_virer il_faut_les_expulser il_faut_s_en_debarrasser
debarrassons_nous interdisez_les il_faut_tous_les_tuer on_devrait_les_tuer
"""
# Denigrating words near a group, whichever comes first ("I find all women disgusting").
HATE_NEAR = """
disgusting scum vermin parasites cockroaches subhuman subhumans inferior worthless filth dumbest
human_garbage pests plague lesser_beings degenerates
degueulasses degueulasse repugnants repugnantes vermine cafards parasites pourritures ordures
sous_hommes inferieurs inferieures abrutis debiles pires_des nuisibles
"""

# Said before the group ("I hate women", "je déteste les migrants", "never hire muslims").
HATE_PRE = """
i_can't_stand i_cannot_stand can't_stand i_despise despise i_loathe loathe disgusted_by sick_of
tired_of_all contempt_for i_detest detest no_respect_for nothing_but_contempt i_find_all
je_meprise meprise j_execre execre je_ne_supporte_pas je_ne_peux_pas_supporter degoute_par
degoutee_par degoutes_par ras_le_bol_des aucun_respect_pour je_trouve_tous je_trouve_toutes
je_vomis_les je_hais
i_hate kill_all exterminate never_trust never_hire do_not_hire je_deteste_les je_hais_les
j_ai_horreur_des a_mort ne_faut_jamais_embaucher n_embauchez_jamais
"""

# Counter-speech and quotation: a message that reports or rebukes hate is not hate.
COUNTER = """
is_racist is_just_racist is_plain_racist plain_racist that_s_racist so_racist is_sexist that_s_sexist is_homophobic
is_transphobic is_hateful is_bigoted bigotry racism sexism homophobia transphobia islamophobia
has_to_stop must_stop needs_to_stop call_out hateful hatred_for horrible_thing terrible_thing
thrown_in_jail lost_all_respect how_dare_you i_never_said never_said opposite_of
doit_cesser denoncer chose_terrible chose_horrible jete_en_prison la_haine_des haine_manifeste
je_n_ai_jamais_dit n_ai_jamais_dit tout_sauf not_okay_to not_ok_to calling_people to_call_people
you_said when_you_said treats treating treat_them_like traitez traiter vous_traitez tu_traites
traite_les perdu_tout_respect tu_as_dit_que vous_avez_dit_que faites_preuve
writing_that messages_like messages_such_as people_who_send_me people_who_call_me
ecrire_que messages_du_type messages_comme les_gens_qui_m_envoient ceux_qui_m_envoient
stop_saying stop_calling is_not_ok is_not_okay not_acceptable to_say_that it_is_wrong_to
if_you_think if_you_say saying_that calling_them do_not_say never_say how_can_you_say
i_can_not_believe_someone disgusting_thing_to_say hateful_thing
raciste c_est_raciste sexiste homophobe transphobe haineux racisme sexisme homophobie
arretez_de_dire arrete_de_dire on_ne_peut_pas_dire il_ne_faut_pas_dire dire_que
inacceptable_de_dire c_est_honteux_de_dire quand_on_entend quand_j_entends
"""

# Speaking of oneself ("I was a total jerk back then", "j'essaie d'éviter d'être un enfoiré"):
# an insult word with one of these and no second person attacks nobody.
SELF = """
i_am_a i_m_a i_am_an i_m_an i_was_a i_was_an i_can_be_a i_can_be_an i_ve_been_a to_be_a to_be_an
being_a being_an i_am_such_a i_m_such_a i_was_such_a i_truly_am_a i_really_am_a
i_ve_been_an i_have_been_a i_have_been_an i_ve_been_such_a i_have_been_such_a i_ve_been_an_absolute
i_have_been_an_absolute i_ve_been_a_bit_of_a i_have_been_a_bit_of_a i_ve_been_a_total
i_have_been_a_total being_such_a being_such_an i_acted_like_a i_behaved_like_a i_was_acting_like_a
je_suis_un je_suis_une j_etais_un j_etais_une d_etre_un d_etre_une etre_un etre_une
je_peux_etre_un je_peux_etre_une je_suis_vraiment_un je_suis_vraiment_une j_ai_ete_un j_ai_ete_une
j_ai_ete_un_vrai j_ai_ete_une_vraie j_ai_ete_un_gros j_ai_ete_une_grosse je_me_suis_comporte_comme
je_me_suis_comportee_comme je_me_suis_conduit_comme je_me_suis_conduite_comme d_avoir_ete_un
d_avoir_ete_une
"""

# Homographs: insults in English only ("retard" = delay in French), profanity in French only
# ("a bite to eat"), decided by the function words of the message (see ``EN_WORDS``/``FR_WORDS``).
# "homo(s)" is a slur in English and an everyday word in French.
INSULT_EN_ONLY = "retard retards tard tards homo homos"
PROFANITY_FR_ONLY = "bite bites"
# French phrases in which "retard" is a delay, whatever else the message holds.
FR_DELAY = """
en_retard de_retard du_retard un_retard le_retard les_retards des_retards ce_retard ces_retards
votre_retard vos_retards retard_de retards_de retard_sur gros_retard encore_du_retard
"""
# Frequent function words unique to one language: they tell which reading of a homograph is meant.
EN_WORDS = """
the and is are was you your this that with for have has not what my me it s don t
"""
FR_WORDS = """
le la les des du de est et pour vos votre une un je tu pas c ce cette encore toujours avec qui
sur dans mon ma mes nous vous j l d qu
"""

# Exclusion that needs no group name to be hate ("renvoyez-les chez eux").
HATE_EXTRA = """
renvoyez_les_chez_eux renvoyez_les_dans_leur_pays qu_ils_rentrent_chez_eux renvoyer_chez_eux
qu_ils_retournent_dans_leur_pays retournez_chez_vous dehors_les_etrangers la_france_aux_francais
send_them_back_where_they_came_from send_them_all_back go_back_where_you_belong
they_should_go_back_to_their_country they_do_not_belong_here you_people_do_not_belong
"""

# Insults missing from the base lists, about staff as much as anyone ("utter muppets").
INSULT_EXTRA = """
muppets utter_muppets bunch_of_muppets you_muppet total_muppet absolute_muppet utter_muppet
are_muppets are_clowns are_idiots are_morons are_imbeciles are_useless_idiots bunch_of_idiots
bunch_of_clowns bunch_of_morons utter_idiots absolute_idiots complete_idiots total_idiots
sont_des_idiots sont_des_cons sont_des_abrutis sont_des_incapables sont_des_guignols
sont_des_bouffons sont_des_branquignols bande_d_incapables bande_d_abrutis bande_de_guignols
bande_de_bouffons
"""

# Praise said as a negated criticism ("pas mal du tout", "not bad at all"): the model reads the
# negative word; the message is positive.
NEGATED_CRITICISM = """
pas_mal_du_tout pas_si_mal c_est_pas_mal c_est_vraiment_pas_mal plutot_pas_mal vraiment_pas_mal
pas_mal_cette pas_mal_ce pas_mal_la not_bad_at_all not_too_bad not_bad_for really_not_bad
"""
