# E-Mails: Konto-E-Mails, Warnungen und Berichte.
