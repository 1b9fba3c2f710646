-- SEARCH folds case for all of Unicode now, not ASCII letters only
-- (services/libs/mail/search_headers.h FoldForSearch): header fields stored with
-- non-ASCII text kept their capitals, so a search for "münchen" missed "MÜNCHEN".
-- Those rows are prepared again, with the new folding, by the next SearchMessages of
-- their mailbox (the messages_header_fields_missing index finds them); ASCII-only rows
-- fold the same either way and stay.
UPDATE mailstore.messages SET header_fields = NULL WHERE header_fields::text ~ '[^\x01-\x7f]';
