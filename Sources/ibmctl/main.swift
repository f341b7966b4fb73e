// ibmctl: the operator and coordinator CLI of IBM Hub. The commands live in the IBMCtl
// library, where the tests reach them too; this file only starts them.
import IBMCtl

IBMCtlCommand.main()
