Attribute VB_Name = "Billing"
' Billing ribbon callbacks: each runs one xlbilling entry point through xlwings (open-source RunPython).
Option Explicit

Sub BillingValidate(control As IRibbonControl)
    RunPython "import xlbilling.excel.entry as e; e.validate()"
End Sub

Sub BillingClose(control As IRibbonControl)
    Dim invoiceDate As String
    invoiceDate = InputBox("Invoice date (YYYY-MM-DD):", "Close month", Format(Date, "yyyy-mm-dd"))
    If invoiceDate <> "" Then RunPython "import xlbilling.excel.entry as e; e.close_month('" & Replace(invoiceDate, "'", "") & "')"
End Sub

Sub BillingPost(control As IRibbonControl)
    RunPython "import xlbilling.excel.entry as e; e.post()"
End Sub

Sub BillingImportConnectWise(control As IRibbonControl)
    ' The folder holding the ConnectWise files (agreements, additions, worktypes, time, companies: .json/.csv/.xlsx)
    Dim folder As String
    With Application.FileDialog(4) ' msoFileDialogFolderPicker
        .Title = "Folder with the ConnectWise files"
        If .Show <> -1 Then Exit Sub
        folder = .SelectedItems(1)
    End With
    RunPython "import xlbilling.excel.entry as e; e.import_connectwise(r'" & Replace(folder, "'", "") & "')"
End Sub

Sub BillingImportCounts(control As IRibbonControl)
    ' A vendor's licence/seat export (.csv/.xlsx) and, if its headers do not say, the vendor's name
    Dim file As String, vendor As String
    With Application.FileDialog(3) ' msoFileDialogFilePicker
        .Title = "The vendor's licence or seat export"
        .AllowMultiSelect = False
        If .Show <> -1 Then Exit Sub
        file = .SelectedItems(1)
    End With
    vendor = InputBox("Vendor (microsoft365, pax8, or any name; blank: told by the file):", "Import seat counts")
    RunPython "import xlbilling.excel.entry as e; e.import_counts(r'" & Replace(file, "'", "") & "', r'" & _
        Replace(vendor, "'", "") & "')"
End Sub

Sub BillingRefresh(control As IRibbonControl)
    RunPython "import xlbilling.excel.entry as e; e.refresh()"
End Sub

Sub BillingInvoices(control As IRibbonControl)
    RunPython "import xlbilling.excel.entry as e; e.invoices()"
End Sub

Sub BillingSend(control As IRibbonControl)
    RunPython "import xlbilling.excel.entry as e; e.send()"
End Sub

Sub BillingReport(control As IRibbonControl)
    RunPython "import xlbilling.excel.entry as e; e.report()"
End Sub

Sub BillingImportFunctions(control As IRibbonControl)
    ImportPythonUDFs
End Sub

Sub BillingHelp(control As IRibbonControl)
    ThisWorkbook.Worksheets("Start here").Activate
End Sub
