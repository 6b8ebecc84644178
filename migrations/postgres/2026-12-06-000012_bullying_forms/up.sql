-- The form of bullying a victimization item asks about, so reports show each form on its own
-- (scoring rules 2026-12-06.1). The starter questionnaire's items are tagged by their exact
-- prompt; items of other questionnaires count toward the overall figures only.
ALTER TABLE survey_items ADD COLUMN bullying_form TEXT;
UPDATE survey_items SET bullying_form = 'physical' WHERE indicator = 'bullying_victimization' AND prompt = 'Since the start of this term, how often has a kid at school hurt you on purpose, like by tripping, pinching, or grabbing you?';
UPDATE survey_items SET bullying_form = 'verbal' WHERE indicator = 'bullying_victimization' AND prompt = 'Since the start of this term, how often has a kid at school said mean or nasty things to you to make you feel bad?';
UPDATE survey_items SET bullying_form = 'social' WHERE indicator = 'bullying_victimization' AND prompt = 'Since the start of this term, how often have kids at school told you that you could not play or join in, just to be mean?';
UPDATE survey_items SET bullying_form = 'social' WHERE indicator = 'bullying_victimization' AND prompt = 'Since the start of this term, how often has a kid at school made up stories about you and told them to other kids?';
UPDATE survey_items SET bullying_form = 'cyber' WHERE indicator = 'bullying_victimization' AND prompt = 'Since the start of this term, how often has a kid from school been mean to you online, in a game, or in text messages?';
UPDATE survey_items SET bullying_form = 'physical' WHERE indicator = 'bullying_victimization' AND prompt = 'Since the start of this term, how often has another student physically hurt you on purpose, for example by tripping, grabbing, punching, or slamming you into something?';
UPDATE survey_items SET bullying_form = 'physical' WHERE indicator = 'bullying_victimization' AND prompt = 'Since the start of this term, how often has another student threatened you, or deliberately broken, hidden, or stolen your belongings?';
UPDATE survey_items SET bullying_form = 'verbal' WHERE indicator = 'bullying_victimization' AND prompt = 'Since the start of this term, how often has another student insulted you, mocked you, or made hurtful remarks about you to your face?';
UPDATE survey_items SET bullying_form = 'social' WHERE indicator = 'bullying_victimization' AND prompt = 'Since the start of this term, how often have other students frozen you out of a group, table, or activity on purpose to hurt you?';
UPDATE survey_items SET bullying_form = 'social' WHERE indicator = 'bullying_victimization' AND prompt = 'Since the start of this term, how often has another student spread stories about you that weren''t true, or tried to turn your friends against you?';
UPDATE survey_items SET bullying_form = 'cyber' WHERE indicator = 'bullying_victimization' AND prompt = 'Since the start of this term, how often has another student used texts, group chats, social media, or online games to harass, threaten, or humiliate you?';
