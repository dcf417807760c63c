# Mail: account mail, alerts and reports.
